//! The command bus on the postgres-es event store, against real Postgres.

use crate::support;
use crate::support::*;
use sqlx::PgPool;
use wavestack_adapters::command_bus::CommandError;
use wavestack_domain::clip::{self, ClipCommand, ClipError};
use wavestack_domain::value::*;

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn points_stay_exact_across_snapshots(pool: PgPool) {
    let bus = bus(&pool);
    let fan = viewer("shroud", "fan-1");
    // 250 messages a cooldown apart: 500 events, five snapshots on the way.
    let mut last = None;
    for i in 0..250 {
        last = Some(chat(&bus, "acme", &fan, &format!("m{i}"), i * 60).await);
    }
    assert_eq!(last.unwrap().sequence, 500);
    let balance: i64 = sqlx::query_scalar(
        "SELECT (payload->'PointsAwarded'->>'balance')::bigint FROM events
          WHERE aggregate_id = 'acme/twitch/shroud/fan-1' ORDER BY sequence DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(balance, 250);
    let snapshots: i64 = sqlx::query_scalar("SELECT count(*) FROM snapshots").fetch_one(&pool).await.unwrap();
    assert_eq!(snapshots, 1, "one snapshot row per stream, updated in place");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn concurrent_messages_from_one_viewer_all_land_once(pool: PgPool) {
    // Two buses stand for two API processes: within one, writers to a stream
    // queue up; between them, optimistic locking and retries decide.
    let buses = [std::sync::Arc::new(bus(&pool)), std::sync::Arc::new(bus(&pool))];
    let fan = viewer("shroud", "fan-1");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (bus, fan) = (buses[i % 2].clone(), fan.clone());
            tokio::spawn(async move { chat(&bus, "acme", &fan, &format!("m{i}"), 0).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let (messages, awards): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE event_type = 'ChatMessageReceived'),
                count(*) FILTER (WHERE event_type = 'PointsAwarded') FROM events",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((messages, awards), (20, 1), "all at second 0: one award");
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_redelivered_message_writes_nothing(pool: PgPool) {
    let bus = bus(&pool);
    let fan = viewer("shroud", "fan-1");
    let first = chat(&bus, "acme", &fan, "m1", 0).await;
    let again = chat(&bus, "acme", &fan, "m1", 0).await;
    assert_eq!((first.events_written, first.sequence), (2, 2));
    assert_eq!((again.events_written, again.sequence), (0, 2));
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn another_orgs_clip_does_not_exist_for_you(pool: PgPool) {
    let bus = bus(&pool);
    let owner = metadata("acme");
    let clip_id = ClipId::new_random();
    bus.clip.execute(&clip::stream_id(&owner.org, clip_id), request_clip(clip_id, &owner.actor), &owner).await.unwrap();
    let intruder = metadata("globex");
    let refused = bus
        .clip
        .execute(
            &clip::stream_id(&intruder.org, clip_id),
            ClipCommand::StartRendering { worker: ActorId::parse("worker:x").unwrap() },
            &intruder,
        )
        .await;
    assert!(matches!(refused, Err(CommandError::Rejected(ClipError::NotFound))));
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn events_are_append_only_and_hash_chained(pool: PgPool) {
    let bus = bus(&pool);
    chat(&bus, "acme", &viewer("shroud", "fan-1"), "m1", 0).await;
    let update = sqlx::query("UPDATE events SET payload = '{}'").execute(&pool).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM events").execute(&pool).await;
    assert!(delete.is_err());

    // Recompute the chain from the stored columns: it matches.
    assert_hash_chain_intact(&pool).await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_batch_over_many_viewers_reads_back_exactly(pool: PgPool) {
    let bus = bus(&pool);
    let meta = metadata("acme");
    // 30 viewers; viewer i sends 3 + i messages a cooldown apart, so the
    // chattiest pass a snapshot (every 100 events) within the batches.
    let fans: Vec<_> = (0..30).map(|i| viewer("shroud", &format!("fan-{i}"))).collect();
    let mut sent = vec![0_i64; fans.len()];
    for round in 0..3 {
        let streams: Vec<_> = fans
            .iter()
            .enumerate()
            .map(|(i, fan)| {
                let commands = (0..(3 + i as i64) * 2)
                    .map(|k| {
                        let n = sent[i] + k;
                        chat_command(fan, &format!("m{n}"), n * 60, "hello")
                    })
                    .collect::<Vec<_>>();
                (fan.stream_id(&meta.org).into(), commands)
            })
            .collect();
        for (i, (_, commands)) in streams.iter().enumerate() {
            sent[i] += commands.len() as i64;
        }
        // A redelivery inside the batch: the last viewer's first message again.
        let mut streams = streams;
        let again = streams[29].1[0].clone();
        streams[29].1.push(again);
        let outcomes = bus.chat.execute_batch(streams, &meta).await;
        for (i, stream) in outcomes.iter().enumerate() {
            let accepted: Vec<_> = stream.iter().map(|o| o.as_ref().expect("accepted")).collect();
            // Every message a cooldown apart: a message and an award each.
            let last_new = accepted.iter().rev().find(|a| a.events_written > 0).unwrap();
            assert_eq!(last_new.sequence, 2 * sent[i] as u64, "viewer {i}, round {round}");
        }
        assert_eq!(outcomes[29].last().unwrap().as_ref().unwrap().events_written, 0, "the redelivery");
    }
    // A bus with nothing cached (another process) reads the same states back,
    // through the snapshots the batches wrote.
    let other = support::bus(&pool);
    for (i, fan) in fans.iter().enumerate() {
        let state = other.chat.load(&fan.stream_id(&meta.org)).await.unwrap();
        assert_eq!((state.messages(), state.balance()), (sent[i] as u64, sent[i] as u64), "viewer {i}");
    }
    let snapshotted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM snapshots WHERE last_sequence >= 100").fetch_one(&pool).await.unwrap();
    assert!(snapshotted > 0, "the chattiest viewers have a snapshot");
    assert_hash_chain_intact(&pool).await;
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_stale_cached_state_is_caught_and_decided_again(pool: PgPool) {
    // Two buses stand for two API processes behind one load balancer.
    let (a, b) = (bus(&pool), bus(&pool));
    let meta = metadata("acme");
    let fans: Vec<_> = (0..5).map(|i| viewer("shroud", &format!("fan-{i}"))).collect();
    for fan in &fans {
        chat(&a, "acme", fan, "m0", 0).await; // a caches every viewer at sequence 2
    }
    // b writes fan-3 behind a's back, then a batch through a touches all five.
    let behind = chat(&b, "acme", &fans[3], "m1", 60).await;
    assert_eq!(behind.sequence, 4);
    let streams =
        fans.iter().map(|fan| (fan.stream_id(&meta.org).into(), vec![chat_command(fan, "m2", 120, "hi")])).collect();
    let outcomes = a.chat.execute_batch(streams, &meta).await;
    let sequences: Vec<u64> = outcomes.iter().map(|s| s[0].as_ref().unwrap().sequence).collect();
    assert_eq!(sequences, vec![4, 4, 4, 6, 4], "fan-3 continues after b's write");

    // A redelivery of what b wrote, sent to a (whose cache has not seen it):
    // a duplicate, not a second message.
    chat(&b, "acme", &fans[0], "m3", 180).await;
    let redelivered = chat(&a, "acme", &fans[0], "m3", 180).await;
    assert_eq!(redelivered.events_written, 0);
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ChatMessageReceived'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(messages, 5 + 1 + 5 + 1);
    assert_hash_chain_intact(&pool).await;
}

async fn assert_hash_chain_intact(pool: &PgPool) {
    let intact: bool = sqlx::query_scalar(
        "SELECT bool_and(hash = sha256(coalesce(prev, ''::bytea) || convert_to(concat_ws(E'\\x1f', aggregate_type,
                aggregate_id, sequence::text, event_type, event_version, payload::text, metadata::text), 'UTF8')))
           FROM (SELECT *, lag(hash) OVER (PARTITION BY aggregate_type, aggregate_id ORDER BY sequence) AS prev
                   FROM events) chained",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(intact, "the hash chain of every stream recomputes");
}
