//! The replay measurement of `wavestack bench`: fills the log to the asked
//! number of events through the command API (batches, as bots send them),
//! waits until the relay has put every event on the log and the live
//! projections have read all of it, then rebuilds the leaderboard from offset 0 into
//! a fresh schema, as `wavestack replay --projection leaderboard` does.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::PgPool;
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_bench::{phases, BenchConfig, ReplayResult, Target};
use wavestack_projections::leaderboard::Leaderboard;
use wavestack_projections::replay::{replay, ReplayOptions};
use wavestack_schemas::SchemaIds;

/// Filling goes in rounds of this many seconds of batches.
const FILL_ROUND_SECONDS: u64 = 30;
/// How long the relay may take to put the filled log on the broker, and the
/// live projections to read it.
const RELAY_LIMIT: Duration = Duration::from_secs(30 * 60);

pub(super) async fn measure(target: &Target, config: &BenchConfig) -> anyhow::Result<ReplayResult> {
    let (Some(database_url), Some(brokers)) = (&target.database_url, &target.kafka_brokers) else {
        bail!("the replay needs the stack's database and broker");
    };
    let pool =
        wavestack_adapters::postgres::connect(database_url, 10).await.context("connecting to the bench database")?;
    let shape = wavestack_bench::traffic::TrafficShape {
        channels: config.channels,
        viewers: config.viewers,
        ..Default::default()
    };
    let mut events = stored_events(&pool).await?;
    while events < config.replay_events {
        eprintln!("filling the log for the replay: {events} of {} events", config.replay_events);
        phases::batch(target, shape.clone(), FILL_ROUND_SECONDS, config.batch_size, config.batch_clients).await;
        events = stored_events(&pool).await?;
    }
    eprintln!("the log holds {events} events; waiting for the relay and the live read models");
    wait_for_relay(target, events).await?;
    // The live projections read the same broker: replaying while they catch
    // up would measure the two sharing it.
    if let Err(error) = wait_for_projections(target).await {
        eprintln!("{error:#}; replaying anyway");
    }
    let kafka = KafkaConfig::new(brokers.clone());
    eprintln!("replaying the leaderboard from offset 0");
    let report = replay(&pool, &kafka, &SchemaIds::catalog(), Leaderboard, ReplayOptions::default(), |_, _, _| {})
        .await
        .context("replaying the leaderboard")?;
    let seconds = report.elapsed.as_secs_f64();
    pool.close().await;
    eprintln!("reading the same log raw");
    let raw_consume_of_log = match wavestack_bench::baselines::consume_chat_log(&kafka, RELAY_LIMIT).await {
        Ok(rate) => Some(rate),
        Err(error) => {
            eprintln!("the raw read of the log failed: {error:#}");
            None
        }
    };
    Ok(ReplayResult {
        projection: "leaderboard".to_owned(),
        records_read: report.records_read,
        events_applied: report.events_applied,
        seconds,
        records_per_second: report.records_read as f64 / seconds.max(1e-9),
        events_in_store: events,
        raw_consume_of_log,
    })
}

async fn stored_events(pool: &PgPool) -> anyhow::Result<u64> {
    let count = wavestack_adapters::event_store::reads::count_all(pool).await?;
    Ok(count as u64)
}

/// Until every live projection has read to the end of the log.
async fn wait_for_projections(target: &Target) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let (mut last, mut moved_at) = (f64::NAN, Instant::now());
    loop {
        let lag = metric(&http, target, "wavestack_projection_lag_records").await?;
        if lag == 0.0 {
            return Ok(());
        }
        if lag != last {
            (last, moved_at) = (lag, Instant::now());
        } else if moved_at.elapsed() > Duration::from_secs(60) {
            bail!("the live projections' lag stayed at {lag} records for a minute");
        }
        if started.elapsed() > RELAY_LIMIT {
            bail!("the live projections still had {lag} records to read after {} s", RELAY_LIMIT.as_secs());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Until the relay's counter reaches the events stored.
async fn wait_for_relay(target: &Target, events: u64) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let relayed = metric(&http, target, "wavestack_relay_events_total").await? as u64;
        if relayed >= events {
            return Ok(());
        }
        if started.elapsed() > RELAY_LIMIT {
            bail!("the relay put {relayed} of {events} events on the log in {} s", RELAY_LIMIT.as_secs());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The stack's metric, summed over its labels.
async fn metric(http: &reqwest::Client, target: &Target, name: &str) -> anyhow::Result<f64> {
    let metrics = http.get(format!("{}/metrics", target.query_api)).send().await?.text().await?;
    Ok(wavestack_bench::metrics::sum(&metrics, name, &[]))
}
