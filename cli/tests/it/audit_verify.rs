//! Tamper evidence against the database's owner, end to end.
//!
//! A stack with a checkpoint key runs a chat history and signs its chain
//! heads. Then, for each kind of tampering, a copy of that database is
//! rewritten as its owner does it (triggers disabled), the log is rebuilt
//! from it into a fresh broker as an owner who controls the relay would,
//! the signed checkpoints are carried over, and `wavestack audit verify`
//! reads that log alone (`--rules` too). An untouched copy rebuilt the same
//! way verifies clean: the control that shows each finding comes from the
//! tampering, not from the rebuilding.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{get_json, issue_token, post_json, start_with_settings, Stack};
use ed25519_dalek::SigningKey;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{json, Value};
use sqlx::{Executor, PgPool};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::{ensure_topics, read_topic, KafkaConfig, LocalBroker, LocalBrokerStorage};
use wavestack_adapters::relay::{Relay, RelayConfig};
use wavestack_schemas::audit::{SignedCheckpoint, CHECKPOINT_TOPIC};
use wavestack_schemas::{AggregateKind, Codec};

/// The checkpointer's key in these tests, and a tamperer's.
fn trusted_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn public_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().as_bytes())
}

/// What the signed history left behind.
struct Fixture {
    database: String,
    /// The checkpoint topic's records (key, value) as published.
    checkpoints: Vec<(Vec<u8>, Vec<u8>)>,
    /// One viewer's chat stream per channel: (aggregate type, aggregate id, last sequence).
    streams: BTreeMap<String, (String, String, i64)>,
}

static FIXTURE: OnceCell<Fixture> = OnceCell::const_new();

fn admin_url() -> String {
    std::env::var("DATABASE_URL").expect("DATABASE_URL is set by scripts/test")
}

fn url_of(database: &str) -> String {
    let base = admin_url();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{database}")
}

async fn admin() -> PgPool {
    PgPool::connect(&admin_url()).await.unwrap()
}

async fn drop_database(admin: &PgPool, name: &str) {
    admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.unwrap();
}

const CHANNELS: [&str; 3] = ["alpha", "beta", "gamma"];

/// A stack whose checkpointer signs every second with the trusted key,
/// kept in a file of its own (returned: it must outlive the stack's start).
async fn start_signing(pool: &PgPool) -> (Stack, tempfile::TempDir) {
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("audit.key");
    std::fs::write(&key_file, hex::encode(trusted_key().to_bytes())).unwrap();
    let stack = start_with_settings(pool, "", |s| {
        s.up.audit.audit_key_file = Some(key_file);
        s.up.audit.checkpoint_interval_seconds = 1;
    })
    .await;
    (stack, key_dir)
}

/// Chat in three channels, signed by a checkpointer every second, until
/// every stream's head is signed and published; then the stack is gone.
async fn build_fixture() -> Fixture {
    let database = format!("wavestack_audit_fixture_{}", std::process::id());
    let admin = admin().await;
    // A static is never dropped, so each run's fixture outlives its process:
    // the next run clears what earlier ones left (one runs at a time).
    let left: Vec<String> =
        sqlx::query_scalar(r"SELECT datname::text FROM pg_database WHERE datname LIKE 'wavestack\_audit\_fixture\_%'")
            .fetch_all(&admin)
            .await
            .unwrap();
    for old in left {
        drop_database(&admin, &old).await;
    }
    admin.execute(format!("CREATE DATABASE {database}").as_str()).await.unwrap();
    let pool = PgPool::connect(&url_of(&database)).await.unwrap();
    let (stack, _key_dir) = start_signing(&pool).await;
    let http = reqwest::Client::new();
    let bot = issue_token(&stack, "acme", "chat:write");
    // In rounds, so that checkpoints fall between the messages of a stream.
    for round in 0..3 {
        let messages: Vec<Value> = CHANNELS
            .iter()
            .flat_map(|channel| {
                (0..4).map(move |i| {
                    let n = round * 4 + i;
                    json!({"platform": "twitch", "channel": channel, "user_id": "viewer",
                           "message_id": format!("{channel}-{n}"), "author": "Viewer",
                           "text": format!("{channel} says {n}")})
                })
            })
            .collect();
        let answer = post_json(&http, &stack, &bot, "/v1/chat/messages", &json!({"messages": messages})).await;
        assert!(answer["results"].is_array(), "{answer}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (streams, unsigned, unpublished): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(DISTINCT (aggregate_type, aggregate_id)) FROM events),
                    (SELECT count(*) FROM events e
                      WHERE NOT EXISTS (SELECT 1 FROM audit_signed_heads s
                                         WHERE s.aggregate_type = e.aggregate_type
                                           AND s.aggregate_id = e.aggregate_id AND s.sequence >= e.sequence)),
                    (SELECT count(*) FROM audit_checkpoints WHERE published_at IS NULL)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if streams > 0 && unsigned == 0 && unpublished == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{unsigned} events never signed, {unpublished} checkpoints unpublished");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let kafka = KafkaConfig::new(&stack.kafka);
    let checkpoints = read_topic(&kafka, CHECKPOINT_TOPIC, |_| true, Duration::from_secs(60))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.key.unwrap(), r.value.unwrap()))
        .collect::<Vec<_>>();
    assert!(checkpoints.len() >= 2, "the rounds were signed in more than one checkpoint: {}", checkpoints.len());
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, max(sequence) FROM events
          WHERE aggregate_type = 'chat' GROUP BY 1, 2 ORDER BY 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let streams = CHANNELS
        .iter()
        .map(|channel| {
            let row = rows.iter().find(|r| r.1.contains(&format!("/{channel}/"))).unwrap_or_else(|| panic!("{rows:?}"));
            ((*channel).to_owned(), row.clone())
        })
        .collect();
    drop(stack);
    pool.close().await;
    Fixture { database, checkpoints, streams }
}

/// A copy of the signed database, rewritten by `tamper` as its owner,
/// relayed into a fresh broker with `checkpoints` beside it, and verified
/// from that log alone: the exit status and the JSON report.
async fn verify_rebuilt(name: &str, tamper: &str, checkpoints: Vec<(Vec<u8>, Vec<u8>)>) -> (bool, Value) {
    let fixture = FIXTURE.get_or_init(build_fixture).await;
    let admin = admin().await;
    let copy = format!("wavestack_audit_{name}_{}", std::process::id());
    drop_database(&admin, &copy).await;
    admin.execute(format!("CREATE DATABASE {copy} TEMPLATE {}", fixture.database).as_str()).await.unwrap();
    let pool = PgPool::connect(&url_of(&copy)).await.unwrap();
    pool.execute(
        format!("ALTER TABLE events DISABLE TRIGGER USER; {tamper}; ALTER TABLE events ENABLE TRIGGER USER").as_str(),
    )
    .await
    .unwrap();

    // A broker keeping its log in SQLite, as `wavestack up` runs it.
    let broker_dir = tempfile::tempdir().unwrap();
    let storage = LocalBrokerStorage::Sqlite(broker_dir.path().to_owned());
    let broker = tokio::task::spawn_blocking(move || LocalBroker::start(storage)).await.unwrap().unwrap();
    let kafka = KafkaConfig::new(broker.bootstrap());
    let mut topics: Vec<String> = AggregateKind::ALL.iter().map(|k| k.topic()).collect();
    topics.push(CHECKPOINT_TOPIC.to_owned());
    ensure_topics(&kafka, &topics).await.unwrap();
    let config = RelayConfig { name: "rebuild".into(), ..RelayConfig::default() };
    let cancel = CancellationToken::new();
    let mut relay =
        Relay::acquire(&pool, &kafka, Codec::from_catalog().unwrap(), config, &cancel).await.unwrap().unwrap();
    relay.relay_until_caught_up().await.unwrap();
    drop(relay);
    let producer: FutureProducer = kafka.client_config().create().unwrap();
    for (key, value) in &checkpoints {
        let record = FutureRecord::to(CHECKPOINT_TOPIC).key(key).payload(value);
        producer.send(record, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }

    let out = Command::new(env!("CARGO_BIN_EXE_wavestack"))
        // With the rules replayed too: an honest history follows them, so
        // every finding below comes from the tampering.
        .args(["audit", "verify", "--rules", "--json", "--public-key", &public_hex(&trusted_key())])
        .env("KAFKA_BROKERS", broker.bootstrap())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    pool.close().await;
    drop_database(&admin, &copy).await;
    (out.status.success(), report)
}

async fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(build_fixture).await
}

/// The findings of `kind` as (aggregate id, the rest).
fn findings<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == kind).collect()
}

fn stream(channel: &str) -> (String, String, i64) {
    FIXTURE.get().unwrap().streams[channel].clone()
}

#[tokio::test]
async fn an_untouched_log_rebuilt_from_the_store_verifies_clean() {
    let checkpoints = fixture().await.checkpoints.clone();
    let (held, report) = verify_rebuilt("untouched", "SELECT 1", checkpoints).await;
    assert!(held, "{report:#}");
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["unvouched_events"], 0, "{report:#}");
    assert!(report["checkpoints"].as_u64().unwrap() >= 2, "{report:#}");
}

#[tokio::test]
async fn an_edited_payload_is_found_in_its_stream_up_to_the_signed_head() {
    let checkpoints = fixture().await.checkpoints.clone();
    let (kind, id, last) = stream("alpha");
    let tamper = format!(
        "UPDATE events SET payload = replace(payload::text, 'alpha says 5', 'alpha says nothing')::json
          WHERE aggregate_type = '{kind}' AND aggregate_id = '{id}' AND payload::text LIKE '%alpha says 5%'"
    );
    let (held, report) = verify_rebuilt("edited", &tamper, checkpoints).await;
    assert!(!held);
    let edited = findings(&report, "edited");
    assert_eq!(edited.len(), 1, "{report:#}");
    assert_eq!(edited[0]["aggregate_id"], id.as_str());
    // The edit is inside the range the checkpoints narrow it to.
    let pool = PgPool::connect(&url_of(&FIXTURE.get().unwrap().database)).await.unwrap();
    let sequence: i64 = sqlx::query_scalar(
        "SELECT sequence FROM events WHERE aggregate_id = $1 AND payload::text LIKE '%alpha says 5%'",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    let (from, through) = (edited[0]["from"].as_i64().unwrap(), edited[0]["through"].as_i64().unwrap());
    assert!(from <= sequence && sequence <= through && through <= last, "{sequence} in {from}..={through}");
    // Only that stream.
    assert_eq!(report["findings"].as_array().unwrap().len(), 1, "{report:#}");
}

#[tokio::test]
async fn a_deleted_event_is_named_by_its_stream_and_sequence() {
    let checkpoints = fixture().await.checkpoints.clone();
    let (kind, id, _) = stream("beta");
    let tamper =
        format!("DELETE FROM events WHERE aggregate_type = '{kind}' AND aggregate_id = '{id}' AND sequence = 4");
    let (held, report) = verify_rebuilt("deleted", &tamper, checkpoints).await;
    assert!(!held);
    let missing = findings(&report, "missing");
    assert_eq!(missing.len(), 1, "{report:#}");
    assert_eq!((missing[0]["aggregate_id"].as_str(), missing[0]["sequence"].as_i64()), (Some(id.as_str()), Some(4)));
}

#[tokio::test]
async fn two_swapped_events_are_found_reordered() {
    let checkpoints = fixture().await.checkpoints.clone();
    let (kind, id, _) = stream("gamma");
    let at = |sequence: i64| format!("aggregate_type = '{kind}' AND aggregate_id = '{id}' AND sequence = {sequence}");
    let tamper = format!(
        "UPDATE events SET sequence = 1000003 WHERE {}; UPDATE events SET sequence = 3 WHERE {};
         UPDATE events SET sequence = 4 WHERE {}",
        at(3),
        at(4),
        at(1000003)
    );
    let (held, report) = verify_rebuilt("swapped", &tamper, checkpoints).await;
    assert!(!held);
    let reordered = findings(&report, "reordered");
    assert_eq!(reordered.len(), 1, "{report:#}");
    assert_eq!(
        (reordered[0]["aggregate_id"].as_str(), reordered[0]["sequence"].as_i64(), reordered[0]["after"].as_i64()),
        (Some(id.as_str()), Some(3), Some(4))
    );
    assert_eq!(findings(&report, "edited")[0]["aggregate_id"], id.as_str(), "{report:#}");
}

#[tokio::test]
async fn a_truncated_stream_tail_is_found() {
    let checkpoints = fixture().await.checkpoints.clone();
    let (kind, id, last) = stream("alpha");
    let tamper =
        format!("DELETE FROM events WHERE aggregate_type = '{kind}' AND aggregate_id = '{id}' AND sequence > 6");
    let (held, report) = verify_rebuilt("truncated", &tamper, checkpoints).await;
    assert!(!held);
    let truncated = findings(&report, "truncated_tail");
    assert_eq!(truncated.len(), 1, "{report:#}");
    assert_eq!(
        (truncated[0]["aggregate_id"].as_str(), truncated[0]["sequence"].as_i64(), truncated[0]["through"].as_i64()),
        (Some(id.as_str()), Some(7), Some(last))
    );
}

#[tokio::test]
async fn a_deleted_stream_is_found() {
    let checkpoints = fixture().await.checkpoints.clone();
    let (kind, id, last) = stream("beta");
    let tamper = format!("DELETE FROM events WHERE aggregate_type = '{kind}' AND aggregate_id = '{id}'");
    let (held, report) = verify_rebuilt("deleted_stream", &tamper, checkpoints).await;
    assert!(!held);
    let missing = findings(&report, "missing_stream");
    assert_eq!(missing.len(), 1, "{report:#}");
    assert_eq!((missing[0]["aggregate_id"].as_str(), missing[0]["through"].as_i64()), (Some(id.as_str()), Some(last)));
}

#[tokio::test]
async fn a_checkpoint_re_signed_with_another_key_is_found_forged() {
    let mut checkpoints = fixture().await.checkpoints.clone();
    // The tamperer edits a stream and re-signs the last checkpoint so it
    // vouches for the edit, with the only key they have: their own.
    let (kind, id, _) = stream("gamma");
    let tamper = format!(
        "UPDATE events SET payload = replace(payload::text, 'gamma says 11', 'gamma says nothing')::json
          WHERE aggregate_type = '{kind}' AND aggregate_id = '{id}'"
    );
    let theirs = SigningKey::from_bytes(&[7; 32]);
    let (key, value) = checkpoints.pop().unwrap();
    let mut body = SignedCheckpoint::from_json(&value).unwrap().claimed().unwrap();
    body.public_key = public_hex(&theirs);
    for head in &mut body.heads {
        head.chain = "00".repeat(32);
    }
    let number = body.number;
    checkpoints.push((key, body.sign(&theirs).to_json().into_bytes()));
    let (held, report) = verify_rebuilt("resigned", &tamper, checkpoints).await;
    assert!(!held);
    let forged = findings(&report, "forged_checkpoint");
    assert_eq!(forged.len(), 1, "{report:#}");
    assert_eq!((forged[0]["org"].as_str(), forged[0]["number"].as_u64()), (Some("acme"), Some(number)));
    assert!(forged[0]["reason"].as_str().unwrap().contains(&public_hex(&theirs)), "{report:#}");
}

/// The live path: checkpoints served to the org's auditor only, each
/// verifiable with the public key; and a checkpoint the owner re-signs in
/// the database is published by the checkpointer and caught on the log.
#[sqlx::test(migrations = false)]
async fn checkpoints_are_served_to_the_orgs_auditor_and_a_re_signed_one_is_caught(pool: PgPool) {
    let (stack, _key_dir) = start_signing(&pool).await;
    let http = reqwest::Client::new();
    let bot = issue_token(&stack, "acme", "chat:write");
    let message = json!({"platform": "twitch", "channel": "delta", "user_id": "u1", "message_id": "d-1",
                         "author": "viewer", "text": "hello"});
    post_json(&http, &stack, &bot, "/v1/chat/messages", &json!({"messages": [message]})).await;

    let auditor = issue_token(&stack, "acme", "audit:read");
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let page = get_json(&http, &stack, &auditor, "/v1/audit/checkpoints", &[]).await;
        if page["checkpoints"].as_array().is_some_and(|c| c.iter().any(|c| c["published"] == true)) {
            break page;
        }
        assert!(Instant::now() < deadline, "no checkpoint was signed: {page}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let first = &page["checkpoints"][0];
    let signed = SignedCheckpoint {
        body: first["body"].as_str().unwrap().to_owned(),
        signature: first["signature"].as_str().unwrap().to_owned(),
    };
    let body = signed.verify(&trusted_key().verifying_key()).unwrap();
    assert_eq!((body.org.as_str(), body.number), ("acme", 1));
    assert_eq!(first["checkpoint"]["heads"], serde_json::to_value(&body.heads).unwrap());
    // Another org's auditor sees none of acme's; a reader without the scope is refused.
    let other =
        get_json(&http, &stack, &issue_token(&stack, "globex", "audit:read"), "/v1/audit/checkpoints", &[]).await;
    assert_eq!(other["checkpoints"], json!([]));
    let refused = http
        .get(format!("{}/v1/audit/checkpoints", stack.query_api))
        .bearer_auth(issue_token(&stack, "acme", "read"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let bad_cursor = http
        .get(format!("{}/v1/audit/checkpoints?cursor=x", stack.query_api))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_cursor.status(), 422);
    assert_eq!(bad_cursor.json::<Value>().await.unwrap()["error"]["field"], "cursor");

    let verify = || {
        let out = Command::new(env!("CARGO_BIN_EXE_wavestack"))
            .args(["audit", "verify", "--json", "--org", "acme", "--public-key", &public_hex(&trusted_key())])
            .env("KAFKA_BROKERS", &stack.kafka)
            .output()
            .unwrap();
        (out.status.success(), serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    let (held, report) = verify();
    assert!(held, "{report:#}");
    // The auditor's anchor: the latest checkpoint it printed holds; one past
    // it (as if the last were withheld from this log) is named.
    let latest = report["latest_checkpoints"]["acme"].as_u64().expect("acme's latest checkpoint");
    let anchored = |number: u64| {
        let out = Command::new(env!("CARGO_BIN_EXE_wavestack"))
            .args(["audit", "verify", "--json", "--org", "acme", "--public-key", &public_hex(&trusted_key())])
            .args(["--expect-checkpoint", &format!("acme={number}")])
            .env("KAFKA_BROKERS", &stack.kafka)
            .output()
            .unwrap();
        (out.status.success(), serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    assert!(anchored(latest).0, "the anchor it printed holds");
    let (held, withheld) = anchored(latest + 1);
    assert!(!held);
    assert_eq!(
        findings(&withheld, "withheld_checkpoints")[0],
        &json!({"kind": "withheld_checkpoints", "org": "acme", "latest": latest, "expected": latest + 1})
    );

    // The owner re-signs checkpoint 1 with another key and has it published again.
    let theirs = SigningKey::from_bytes(&[9; 32]);
    let mut forged = body.clone();
    forged.public_key = public_hex(&theirs);
    let forged = forged.sign(&theirs);
    sqlx::query(
        "UPDATE audit_checkpoints SET body = $1, signature = $2, published_at = NULL WHERE org = 'acme' AND number = 1",
    )
    .bind(&forged.body)
    .bind(&forged.signature)
    .execute(&pool)
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (held, report) = verify();
        if !held {
            let found = findings(&report, "forged_checkpoint");
            assert_eq!((found[0]["org"].as_str(), found[0]["number"].as_u64()), (Some("acme"), Some(1)), "{report:#}");
            break;
        }
        assert!(Instant::now() < deadline, "the re-signed checkpoint never reached the log");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
