//! The two tamperings issue 26 (item 21) found signed, each now named:
//!
//! - a balance minted in the store by its owner, which the viewer's next
//!   event carries to the log, where it is chained and signed like any
//!   other: `audit verify` holds, `audit verify --rules` names the event;
//! - a correctly encoded event forged straight onto the broker at a
//!   stream's next sequence: the checkpointer, a witness now, finds that
//!   the store disagrees, signs nothing of it and raises an alarm.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{issue_token, post_json, relaunch_with_env, start_binary_with_env, start_with_settings, Stack};
use ed25519_dalek::SigningKey;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};
use sqlx::PgPool;
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_domain::chat::{ChatEvent, PointsAwarded};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, OrgId, Timestamp};
use wavestack_schemas::{Codec, LogEnvelope, LogEvent};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn key_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("audit.key");
    std::fs::write(&path, hex::encode(key().to_bytes())).unwrap();
    path
}

async fn say(http: &reqwest::Client, stack: &Stack, bot: &str, channel: &str, ids: std::ops::Range<u32>) {
    let messages: Vec<Value> = ids
        .map(|n| {
            json!({"platform": "twitch", "channel": channel, "user_id": "ada", "author": "Ada",
                   "message_id": format!("{channel}-{n}"), "text": format!("message {n}")})
        })
        .collect();
    let answer = post_json(http, stack, bot, "/v1/chat/messages", &json!({"messages": messages})).await;
    assert!(answer["results"].is_array(), "{answer}");
}

async fn last_sequence(pool: &PgPool, stream: &str) -> i64 {
    sqlx::query_scalar("SELECT max(sequence) FROM events WHERE aggregate_type = 'chat' AND aggregate_id = $1")
        .bind(stream)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn signed_through(pool: &PgPool, stream: &str) -> i64 {
    sqlx::query_scalar("SELECT sequence FROM audit_signed_heads WHERE aggregate_type = 'chat' AND aggregate_id = $1")
        .bind(stream)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(0)
}

async fn until_signed(pool: &PgPool, stream: &str, sequence: i64) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while signed_through(pool, stream).await < sequence {
        assert!(Instant::now() < deadline, "{stream} was never signed up to {sequence}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn audit_verify(stack: &Stack, rules: bool) -> (bool, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wavestack"));
    command.args(["audit", "verify", "--json", "--public-key", &hex::encode(key().verifying_key().as_bytes())]);
    if rules {
        command.arg("--rules");
    }
    let out = command.env("KAFKA_BROKERS", &stack.kafka).output().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), report)
}

#[sqlx::test(migrations = false)]
async fn a_balance_minted_in_the_store_is_signed_yet_named_by_audit_verify_rules(pool: PgPool) {
    let keys = tempfile::tempdir().unwrap();
    let key_path = key_file(&keys);
    let env =
        [("WAVESTACK_AUDIT_KEY_FILE", key_path.to_str().unwrap()), ("WAVESTACK_CHECKPOINT_INTERVAL_SECONDS", "1")];
    let stack = start_binary_with_env(&pool, &env).await;
    let http = reqwest::Client::new();
    let manager = issue_token(&stack, "acme", "channels:write");
    let policy = json!({"points_per_message": 1, "cooldown_seconds": 0, "daily_bonus": 0, "subscriber_percent": 100});
    let set = http.put(format!("{}/v1/channels/twitch/minted/points-policy", stack.command_api)).bearer_auth(&manager);
    assert_eq!(set.json(&policy).send().await.unwrap().status(), 202);
    let bot = issue_token(&stack, "acme", "chat:write");
    say(&http, &stack, &bot, "minted", 0..4).await;
    let stream = "acme/twitch/minted/ada";
    let before = last_sequence(&pool, stream).await;
    until_signed(&pool, stream, before).await;
    let dir = stack.kill();

    // As the database's owner: the viewer's balance, 4, becomes 100,000 in
    // a snapshot of the stream, which the next process loads.
    let state = CommandBus::new(pool.clone(), Policies::default()).chat.load(stream).await.unwrap();
    assert_eq!(state.balance(), 4);
    let mut edited = serde_json::to_value(&state).unwrap();
    edited["balance"] = json!(100_000);
    sqlx::query(
        "INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
         VALUES ('chat', $1, $2, 1, $3)",
    )
    .bind(stream)
    .bind(before)
    .bind(edited)
    .execute(&pool)
    .await
    .unwrap();

    let stack = relaunch_with_env(&pool, dir, &env).await;
    let bot = issue_token(&stack, "acme", "chat:write");
    say(&http, &stack, &bot, "minted", 4..5).await;
    let minted = last_sequence(&pool, stream).await;
    let balance: i64 = sqlx::query_scalar(
        "SELECT (payload->'PointsAwarded'->>'balance')::bigint FROM events
          WHERE aggregate_type = 'chat' AND aggregate_id = $1 AND sequence = $2",
    )
    .bind(stream)
    .bind(minted)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(balance, 100_001, "the next award carried the minted balance");
    // The store and the log agree on it: the witness signs it.
    until_signed(&pool, stream, minted).await;

    let (held, report) = audit_verify(&stack, false);
    assert!(held, "the chain and the signatures hold: {report:#}");
    let (held, report) = audit_verify(&stack, true);
    assert!(!held, "{report:#}");
    let broken: Vec<&Value> =
        report["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "rule_broken").collect();
    assert_eq!(broken.len(), 1, "{report:#}");
    assert_eq!(broken[0]["rule"], "balance_does_not_follow");
    assert_eq!(broken[0]["aggregate_id"], stream);
    assert_eq!(broken[0]["sequence"], minted);
    assert_eq!(broken[0]["event"], "PointsAwarded");
}

#[sqlx::test(migrations = false)]
async fn a_forged_event_on_the_broker_is_never_signed_and_raises_the_witness_alarm(pool: PgPool) {
    let keys = tempfile::tempdir().unwrap();
    let key_path = key_file(&keys);
    let stack = start_with_settings(&pool, "", |s| {
        s.up.audit.audit_key_file = Some(key_path);
        s.up.audit.checkpoint_interval_seconds = 1;
    })
    .await;
    let http = reqwest::Client::new();
    let bot = issue_token(&stack, "acme", "chat:write");
    say(&http, &stack, &bot, "forged", 0..3).await;
    let stream = "acme/twitch/forged/ada";
    let last = last_sequence(&pool, stream).await;
    until_signed(&pool, stream, last).await;

    // A well-formed event at the stream's next sequence, straight onto the
    // broker: no process wrote it, the store does not hold it.
    let forged = LogEnvelope {
        event_id: uuid::Uuid::new_v4(),
        aggregate_id: stream.to_owned(),
        sequence: last as u64 + 1,
        hash: String::new(),
        metadata: EventMetadata {
            org: OrgId::parse("acme").unwrap(),
            actor: ActorId::parse("svc:points-settler").unwrap(),
            correlation_id: uuid::Uuid::new_v4(),
            causation_id: None,
            request_id: None,
            occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        },
        event: LogEvent::Chat(ChatEvent::PointsAwarded(PointsAwarded {
            points: 50_000,
            balance: 50_003,
            awarded_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        })),
    };
    let bytes = Codec::from_catalog().unwrap().encode(&forged).unwrap();
    let producer: FutureProducer = KafkaConfig::new(&stack.kafka).client_config().create().unwrap();
    let record = FutureRecord::to("wavestack.chat.events.v1").key(stream).payload(&bytes);
    producer.send(record, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();

    // The witness finds it and says so on /ready.
    let deadline = Instant::now() + Duration::from_secs(60);
    let alarm = loop {
        let ready: Value = http.get(format!("{}/ready", stack.command_api)).send().await.unwrap().json().await.unwrap();
        if ready["audit"]["witness_alarms"].as_i64().unwrap_or(0) > 0 {
            break ready["audit"]["newest"][0].clone();
        }
        assert!(Instant::now() < deadline, "no alarm was raised: {ready}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(alarm["aggregate_id"], stream, "{alarm}");
    assert_eq!(alarm["sequence"], last + 1, "{alarm}");
    assert_eq!(alarm["org"], "acme");
    // And signed nothing of it, in this round or the next.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(signed_through(&pool, stream).await, last, "the forged head was not signed");
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM audit_checkpoints").fetch_all(&pool).await.unwrap();
    let heads: Vec<Value> = bodies
        .iter()
        .flat_map(|body| serde_json::from_str::<Value>(body).unwrap()["heads"].as_array().unwrap().clone())
        .filter(|head| head["aggregate_id"] == stream)
        .collect();
    assert!(!heads.is_empty());
    assert!(heads.iter().all(|head| head["sequence"].as_i64().unwrap() <= last), "no checkpoint signs it: {heads:?}");
    assert!(stack.log().contains("the log and the store disagree"), "the alarm is logged");
}
