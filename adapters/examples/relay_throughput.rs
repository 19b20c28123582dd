//! Measures the outbox relay: events/s from the `events` table to a real
//! broker, next to a raw produce of equally sized records on the same broker
//! with the same producer settings (the ceiling the relay can approach).
//!
//!   cargo run --release -p wavestack-adapters --example relay_throughput -- [events] [memory|sqlite]
//!
//! Uses DATABASE_URL (default postgres://localhost/postgres) to create and
//! drop a throwaway database, and starts its own tansu broker.

use std::time::Instant;

use anyhow::Context;
use rdkafka::producer::FutureRecord;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::{ensure_topics, idempotent_producer, KafkaConfig, LocalBroker, LocalBrokerStorage};
use wavestack_adapters::postgres;
use wavestack_adapters::relay::{Relay, RelayConfig};
use wavestack_schemas::{AggregateKind, Codec};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let events: i64 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(100_000);
    let storage_name = args.next().unwrap_or_else(|| "sqlite".into());
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://localhost/postgres".into());

    let database = postgres::ThrowawayDatabase::create(&base).await?;
    let pool = database.pool.clone();

    // 1,000 viewers, `events` chat messages round-robin, written in bulk.
    let started = Instant::now();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'chat', 'bench/twitch/bench/u' || (g % 1000), g / 1000 + 1, 'ChatMessageReceived', '1',
                json_build_object('ChatMessageReceived', json_build_object(
                    'platform', 'twitch', 'channel', 'bench', 'user_id', 'u' || (g % 1000),
                    'message_id', 'm' || g, 'author', 'Viewer ' || (g % 1000), 'role', 'viewer',
                    'text', 'that was a clean ace, clip it!', 'sent_at', '2026-11-22T10:00:00Z')),
                json_build_object('org', 'bench', 'actor', 'svc:bench', 'occurred_at', '2026-11-22T10:00:00Z',
                    'correlation_id', '00000000-0000-0000-0000-000000000001')
           FROM generate_series(0, $1 - 1) AS g ORDER BY g % 1000, g",
    )
    .bind(events)
    .execute(&pool)
    .await?;
    println!("wrote {events} events in {:.1} s", started.elapsed().as_secs_f64());

    let dir = tempfile::tempdir()?;
    let storage = match storage_name.as_str() {
        "memory" => LocalBrokerStorage::Memory,
        _ => LocalBrokerStorage::Sqlite(dir.path().to_owned()),
    };
    let broker = LocalBroker::start(storage)?;
    let kafka = KafkaConfig::new(broker.bootstrap());
    let topics: Vec<String> = AggregateKind::ALL.iter().map(|k| k.topic()).collect();
    ensure_topics(&kafka, &topics).await?;
    ensure_topics(&kafka, &["bench.raw".to_owned()]).await?;

    let codec = Codec::from_catalog()?;
    let mut relay = Relay::acquire(
        &pool,
        &kafka,
        codec,
        RelayConfig { batch_size: batch_size(), ..RelayConfig::default() },
        &CancellationToken::new(),
    )
    .await?
    .context("relay lock")?;
    let sample = relay.fetch_batch().await?;
    let record_bytes = Codec::from_catalog()?.encode(&sample[0].to_envelope()?)?;

    let started = Instant::now();
    let relayed = relay.relay_until_caught_up().await?;
    let relay_rate = relayed as f64 / started.elapsed().as_secs_f64();
    println!(
        "relay: {relayed} events in {:.2} s = {relay_rate:.0} events/s ({storage_name} broker, {}-byte records)",
        started.elapsed().as_secs_f64(),
        record_bytes.len()
    );

    // Baseline: the same number of records of the same size, produced by the
    // same kind of producer, 1,000 in flight at a time like the relay's batch.
    let producer = idempotent_producer(&kafka)?;
    let started = Instant::now();
    for chunk in 0..(events as usize).div_ceil(1000) {
        let n = 1000.min(events as usize - chunk * 1000);
        let mut deliveries = Vec::with_capacity(n);
        for i in 0..n {
            let key = format!("bench/u{}", i % 1000);
            deliveries.push(
                producer
                    .send_result(FutureRecord::to("bench.raw").key(&key).payload(&record_bytes))
                    .map_err(|(e, _)| e)?,
            );
        }
        for d in deliveries {
            d.await?.map_err(|(e, _)| e)?;
        }
    }
    let raw_rate = events as f64 / started.elapsed().as_secs_f64();
    println!("raw produce: {raw_rate:.0} records/s; relay / raw = {:.2}", relay_rate / raw_rate);

    drop(relay);
    database.drop().await?;
    Ok(())
}

/// `RELAY_BATCH_SIZE`, as `wavestack up` reads it; 5,000 by default.
fn batch_size() -> i64 {
    std::env::var("RELAY_BATCH_SIZE").ok().and_then(|v| v.parse().ok()).unwrap_or(5000)
}
