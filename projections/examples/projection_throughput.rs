//! Measures the projection runtime on a real log: applied events/s when a
//! projection catches up on a backlog of chat, and replay speed into a
//! fresh schema.
//!
//!   cargo run --release -p wavestack-projections --example projection_throughput -- \
//!     [events] [memory|sqlite] [leaderboard|analytics|audit]
//!
//! Uses DATABASE_URL (default postgres://localhost/postgres) to create and
//! drop a throwaway database, and starts its own tansu broker.

use std::time::Instant;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::{ensure_topics, KafkaConfig, LocalBroker, LocalBrokerStorage};
use wavestack_adapters::postgres;
use wavestack_adapters::relay::{Relay, RelayConfig};
use wavestack_projections::analytics::Analytics;
use wavestack_projections::audit::Audit;
use wavestack_projections::leaderboard::Leaderboard;
use wavestack_projections::replay::{replay, ReplayOptions};
use wavestack_projections::runtime::high_watermarks;
use wavestack_projections::{Projection, ProjectionRunner, RunnerConfig};
use wavestack_schemas::{AggregateKind, Codec, SchemaIds};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let events: i64 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(100_000);
    let storage_name = args.next().unwrap_or_else(|| "sqlite".into());
    let projection = args.next().unwrap_or_else(|| "leaderboard".into());
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://localhost/postgres".into());
    let database = postgres::ThrowawayDatabase::create(&base).await?;
    let pool = database.pool.clone();

    // 2,000 viewers in 20 channels; every other event awards a point.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'chat', 'bench/twitch/ch' || (g % 20) || '/u' || (g % 2000), g / 2000 + 1,
                CASE WHEN (g / 2000) % 2 = 0 THEN 'ChatMessageReceived' ELSE 'PointsAwarded' END, '1',
                CASE WHEN (g / 2000) % 2 = 0 THEN json_build_object('ChatMessageReceived', json_build_object(
                    'platform', 'twitch', 'channel', 'ch' || (g % 20), 'user_id', 'u' || (g % 2000),
                    'message_id', 'm' || g, 'author', 'Viewer ' || (g % 2000), 'role', 'viewer',
                    'text', 'that was a clean ace, clip it!', 'sent_at', '2026-11-22T10:00:00Z'))
                ELSE json_build_object('PointsAwarded', json_build_object(
                    'points', 1, 'balance', g / 4000 + 1, 'awarded_at', '2026-11-22T10:00:00Z')) END,
                json_build_object('org', 'bench', 'actor', 'svc:bench', 'occurred_at', '2026-11-22T10:00:00Z',
                    'correlation_id', '00000000-0000-0000-0000-000000000001')
           FROM generate_series(0, $1 - 1) AS g ORDER BY g % 2000, g",
    )
    .bind(events)
    .execute(&pool)
    .await?;

    let dir = tempfile::tempdir()?;
    let storage = match storage_name.as_str() {
        "memory" => LocalBrokerStorage::Memory,
        _ => LocalBrokerStorage::Sqlite(dir.path().to_owned()),
    };
    let broker = LocalBroker::start(storage)?;
    let kafka = KafkaConfig::new(broker.bootstrap());
    let topics: Vec<String> = AggregateKind::ALL.iter().map(|k| k.topic()).collect();
    ensure_topics(&kafka, &topics).await?;
    let mut relay =
        Relay::acquire(&pool, &kafka, Codec::from_catalog()?, RelayConfig::default(), &CancellationToken::new())
            .await?
            .context("relay lock")?;
    while relay.relay_once().await? > 0 {}
    drop(relay);
    println!("{events} events on the log ({storage_name} broker)");

    match projection.as_str() {
        "leaderboard" => measure(&pool, &kafka, Leaderboard).await?,
        "analytics" => measure(&pool, &kafka, Analytics).await?,
        "audit" => measure(&pool, &kafka, Audit).await?,
        other => anyhow::bail!("unknown projection `{other}`"),
    }
    database.drop().await?;
    Ok(())
}

async fn measure<P: Projection + Copy>(pool: &sqlx::PgPool, kafka: &KafkaConfig, projection: P) -> anyhow::Result<()> {
    let name = projection.name();
    // Before the runner starts fetching (see `high_watermarks`).
    let targets = high_watermarks(kafka, &projection.topics()).await?;
    let mut runner = ProjectionRunner::start(
        pool,
        kafka,
        Codec::from_catalog()?,
        projection,
        RunnerConfig::for_projection(&projection),
        &CancellationToken::new(),
    )
    .await?
    .context("projection lock")?;
    let started = Instant::now();
    let applied = runner.apply_to_end(targets, |_, _| {}).await?;
    let elapsed = started.elapsed();
    println!(
        "{name}: {applied} events applied in {:.2} s = {:.0} events/s",
        elapsed.as_secs_f64(),
        applied as f64 / elapsed.as_secs_f64()
    );
    drop(runner);

    let report = replay(pool, kafka, &SchemaIds::catalog(), projection, ReplayOptions::default(), |_, _, _| {}).await?;
    println!(
        "replay: {} records read, {} events applied in {:.2} s = {:.0} records/s",
        report.records_read,
        report.events_applied,
        report.elapsed.as_secs_f64(),
        report.records_read as f64 / report.elapsed.as_secs_f64().max(1e-3)
    );

    Ok(())
}
