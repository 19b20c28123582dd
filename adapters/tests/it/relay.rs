//! The outbox relay against real Postgres and a real Kafka-protocol broker.

use std::time::Duration;

use crate::support::*;
use sqlx::{PgPool, Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::{ensure_topics, KafkaConfig, LocalBroker, LocalBrokerStorage};
use wavestack_adapters::relay::{self, Relay, RelayConfig};
use wavestack_domain::chat::{ChatEvent, PointsAwarded};
use wavestack_domain::clip;
use wavestack_domain::publication::{self, CreatePublication, PublicationCommand};
use wavestack_domain::value::*;
use wavestack_schemas::{AggregateKind, Codec, LogEvent};

const WAIT: Duration = Duration::from_secs(30);

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn commands_reach_their_topics_as_confluent_framed_avro(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let bus = bus(&pool);
    let fan = viewer("shroud", "fan-1");
    chat(&bus, "acme", &fan, "m1", 0).await;

    let meta = metadata("acme");
    let clip_id = ClipId::new_random();
    bus.clip.execute(&clip::stream_id(&meta.org, clip_id), request_clip(clip_id, &meta.actor), &meta).await.unwrap();
    let publication_id = PublicationId::new_random();
    let accepted = bus
        .publication
        .execute(
            &publication::stream_id(&meta.org, publication_id),
            PublicationCommand::CreatePublication(CreatePublication {
                publication_id,
                asset: Asset::Clip(clip_id),
                targets: Targets::parse([TargetPlatform::Youtube, TargetPlatform::Webhook]).unwrap(),
                title: Title::parse_required("The ace").unwrap(),
                caption: Caption::parse("gg").unwrap(),
                hashtags: Hashtags::default(),
                scheduled_at: None,
                idempotency_key: Some(IdempotencyKey::parse("k1").unwrap()),
            }),
            &meta,
        )
        .await
        .unwrap();
    assert_eq!(accepted.sequence, 1);

    let mut relay = relay(&pool, &kafka).await;
    assert_eq!(drain(&mut relay).await, 4, "message, points, clip, publication");

    let records = consume(&kafka, 4, WAIT).await;
    assert_eq!(records.len(), 4);
    let codec = Codec::from_catalog().unwrap();
    for r in &records {
        let kind = r.envelope.event.kind();
        assert_eq!(r.topic, kind.topic());
        assert_eq!(r.key, r.envelope.aggregate_id, "keyed by aggregate id");
        assert_eq!(r.schema_id, codec.schema_id(kind));
        assert_eq!(r.headers["wavestack.event_type"], r.envelope.event.name());
        assert_eq!(r.headers["wavestack.event_id"], r.envelope.event_id.to_string());
        assert_eq!(r.envelope.metadata.org.as_str(), "acme");
        assert_eq!(r.envelope.hash.len(), 64);
    }
    let chat_records: Vec<_> = records.iter().filter(|r| r.envelope.event.kind() == AggregateKind::Chat).collect();
    assert_eq!(chat_records.len(), 2);
    assert_eq!(chat_records[0].envelope.aggregate_id, "acme/twitch/shroud/fan-1");
    assert!(matches!(
        chat_records[1].envelope.event,
        LogEvent::Chat(ChatEvent::PointsAwarded(PointsAwarded { balance: 1, .. }))
    ));
    // The hash chain links the second event of the stream to the first.
    assert_ne!(chat_records[0].envelope.hash, chat_records[1].envelope.hash);
}

/// Inserts one event row the way postgres-es does, inside `tx`.
async fn insert_event(tx: &mut Transaction<'_, Postgres>, aggregate_id: &str, sequence: i64) {
    let event = ChatEvent::PointsAwarded(PointsAwarded {
        points: 1,
        balance: sequence as u64,
        awarded_at: Timestamp::from_unix_micros(1_800_000_000_000_000 + sequence).unwrap(),
    });
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('chat', $1, $2, 'PointsAwarded', '1', $3, $4)",
    )
    .bind(aggregate_id)
    .bind(sequence)
    .bind(serde_json::to_value(&event).unwrap())
    .bind(serde_json::to_value(metadata("acme").to_map()).unwrap())
    .execute(&mut **tx)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_slow_transaction_that_commits_last_is_neither_skipped_nor_reordered(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;

    // A takes the lower position and stays open; B writes after it and commits first.
    let mut slow = pool.begin().await.unwrap();
    insert_event(&mut slow, "acme/twitch/c/slow", 1).await;
    let mut fast = pool.begin().await.unwrap();
    insert_event(&mut fast, "acme/twitch/c/fast", 1).await;
    fast.commit().await.unwrap();

    // A position-ordered relay would publish B and checkpoint past A here,
    // skipping A forever. This one waits: B is above the xmin horizon.
    assert_eq!(relay.relay_once().await.unwrap(), 0);
    let before = relay.checkpoint();

    slow.commit().await.unwrap();
    // A later event of A's stream, written after A committed.
    let mut later = pool.begin().await.unwrap();
    insert_event(&mut later, "acme/twitch/c/slow", 2).await;
    later.commit().await.unwrap();

    assert_eq!(drain(&mut relay).await, 3);
    assert!(relay.checkpoint() > before);

    let records = consume(&kafka, 3, WAIT).await;
    let by_aggregate = sequences_by_aggregate(&records);
    assert_eq!(by_aggregate["acme/twitch/c/slow"], vec![1, 2]);
    assert_eq!(by_aggregate["acme/twitch/c/fast"], vec![1]);
    assert_complete_and_ordered(&by_aggregate);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn events_written_while_the_broker_is_down_all_arrive_in_order(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = LocalBroker::start(LocalBrokerStorage::Sqlite(dir.path().to_owned())).unwrap();
    let kafka = KafkaConfig::new(broker.bootstrap());
    ensure_topics(&kafka, &topics()).await.unwrap();

    let cancel = CancellationToken::new();
    let relay_task = tokio::spawn(relay::supervise(
        pool.clone(),
        kafka.clone(),
        RelayConfig { max_backoff: Duration::from_millis(500), ..RelayConfig::default() },
        cancel.clone(),
    ));
    let bus = bus(&pool);
    let viewers: Vec<_> = (0..5).map(|i| viewer("shroud", &format!("fan-{i}"))).collect();
    // Each round is a message from every viewer, a cooldown apart (2 events each).
    let mut written = 0;
    for round in 0..14 {
        if round == 4 {
            broker.stop();
        }
        if round == 12 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            broker.restart().unwrap();
        }
        for v in &viewers {
            written += chat(&bus, "acme", v, &format!("m{round}"), round * 61).await.events_written;
        }
    }

    // Read until every event is there; duplicates are allowed, gaps are not.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let by_aggregate = loop {
        let records = consume(&kafka, usize::MAX, Duration::from_secs(5)).await;
        let by_aggregate = sequences_by_aggregate(&records);
        let distinct: usize = by_aggregate.values().map(Vec::len).sum();
        if distinct == written || std::time::Instant::now() > deadline {
            break by_aggregate;
        }
    };
    cancel.cancel();
    relay_task.await.unwrap().unwrap();

    assert_eq!(by_aggregate.len(), viewers.len());
    assert_eq!(by_aggregate.values().map(Vec::len).sum::<usize>(), written);
    assert_complete_and_ordered(&by_aggregate);
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_relay_killed_after_producing_but_before_its_checkpoint_loses_nothing(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let bus = bus(&pool);
    let mut written = 0;
    for i in 0..20 {
        written += chat(&bus, "acme", &viewer("shroud", &format!("fan-{}", i % 4)), &format!("m{i}"), i * 61)
            .await
            .events_written;
    }

    // The first relay produces a batch, then dies before checkpointing.
    let mut doomed = relay(&pool, &kafka).await;
    // The relay reads below the cluster's xmin horizon, which another
    // test's open transaction may hold back for a moment: read again.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let batch = loop {
        let batch = doomed.fetch_batch().await.unwrap();
        if batch.len() == written || std::time::Instant::now() > deadline {
            break batch;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(batch.len(), written);
    doomed.publish(&batch).await.unwrap();
    drop(doomed);

    // The next one takes over from the old checkpoint and sends it all again.
    let mut successor = relay(&pool, &kafka).await;
    assert_eq!(drain(&mut successor).await, written);

    let records = consume(&kafka, 2 * written, WAIT).await;
    assert_eq!(records.len(), 2 * written, "every event twice: at least once, not exactly once");
    let by_aggregate = sequences_by_aggregate(&records);
    assert_eq!(by_aggregate.values().map(Vec::len).sum::<usize>(), written);
    assert_complete_and_ordered(&by_aggregate);
    // A duplicate is the same event: same id, same content.
    let mut first_seen = std::collections::HashMap::new();
    for r in &records {
        let key = (r.envelope.aggregate_id.clone(), r.envelope.sequence);
        let original = first_seen.entry(key).or_insert_with(|| r.envelope.clone());
        assert_eq!(original, &r.envelope);
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn only_one_relay_of_a_name_runs_at_a_time(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let active = relay(&pool, &kafka).await;

    let cancel = CancellationToken::new();
    let standby = {
        let pool = pool.clone();
        let kafka = kafka.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            Relay::acquire(&pool, &kafka, Codec::from_catalog().unwrap(), RelayConfig::default(), &cancel).await
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!standby.is_finished(), "the standby must wait for the lock");

    drop(active);
    let taken_over = tokio::time::timeout(WAIT, standby).await.expect("standby takes over").unwrap().unwrap();
    assert!(taken_over.is_some());
    cancel.cancel();
}
