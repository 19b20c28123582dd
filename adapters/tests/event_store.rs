//! The command bus on the postgres-es event store, against real Postgres.

mod support;

use sqlx::PgPool;
use support::*;
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
    let intact: bool = sqlx::query_scalar(
        "SELECT bool_and(hash = sha256(coalesce(prev, ''::bytea) || convert_to(concat_ws(E'\\x1f', aggregate_type,
                aggregate_id, sequence::text, event_type, event_version, payload::text, metadata::text), 'UTF8')))
           FROM (SELECT *, lag(hash) OVER (PARTITION BY aggregate_type, aggregate_id ORDER BY sequence) AS prev
                   FROM events) chained",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(intact);
}
