//! One whole run against a stack that is up: the phases in turn, the
//! stack's counters before and after, the process sampled throughout.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use wavestack_adapters::kafka::KafkaConfig;

use crate::baselines::{self, Baselines};
use crate::metrics;
use crate::phases::{self, Target};
use crate::probes;
use crate::process;
use crate::report::{BenchConfig, Machine, Pipeline, Report};
use crate::traffic::TrafficShape;

pub async fn run(target: &Target, config: BenchConfig, pid: Option<u32>) -> anyhow::Result<Report> {
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .context("formatting the start time")?;
    let shape = TrafficShape { channels: config.channels, viewers: config.viewers, ..TrafficShape::default() };
    let http = phases::client();
    let before = scrape(&http, target).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = pid.map(|pid| process::sample(pid, stop.clone()));
    let clock = Instant::now();

    // From the gentlest load to the heaviest; between phases the pipeline
    // drains, so that no phase pays for the backlog of the one before.
    let mut results = Vec::new();
    tracing::info!(rate = config.visible_rate, "phase: command to visible");
    let phase = phases::visibility(target, shape.clone(), config.seconds, config.visible_rate, 1);
    results.push(drained(&http, target, phase).await?);
    tracing::info!(rate = config.visible_rate, batch = config.visible_batch, "phase: batch to visible");
    let phase = phases::visibility(target, shape.clone(), config.seconds, config.visible_rate, config.visible_batch);
    results.push(drained(&http, target, phase).await?);
    // The baselines copy the records the first phase put on the log.
    let baselines = baselines(target, &config).await;
    tracing::info!(rate = config.rate, "phase: single posts at a fixed rate");
    let phase = phases::single(target, shape.clone(), config.seconds, Some(config.rate), 0);
    results.push(named(drained(&http, target, phase).await?, "single, fixed rate"));
    tracing::info!(clients = config.clients, "phase: single posts, flat out");
    let phase = phases::single(target, shape.clone(), config.seconds, None, config.clients);
    results.push(named(drained(&http, target, phase).await?, "single, flat out"));
    tracing::info!(size = config.batch_size, "phase: batches, flat out, probed as an orchestrator would");
    let probing = Arc::new(AtomicBool::new(false));
    let probes = probes::start(target, probing.clone());
    let phase = phases::batch(target, shape, config.batch_seconds, config.batch_size, config.batch_clients);
    let phase = async {
        let result = phase.await;
        probing.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    };
    results.push(drained(&http, target, phase).await?);
    let probes_during_batch = probes.await?;

    let seconds = clock.elapsed().as_secs_f64();
    let after = scrape(&http, target).await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let process = match sampler {
        Some(sampler) => Some(sampler.await?),
        None => None,
    };
    let rate = |name: &str| (metrics::sum(&after, name, &[]) - metrics::sum(&before, name, &[])) / seconds;
    let applied = "wavestack_projection_events_applied_total";
    let (applied_before, applied_after) =
        (metrics::by_label(&before, applied, "projection"), metrics::by_label(&after, applied, "projection"));
    let pipeline = Pipeline {
        seconds,
        relay_events_per_second: rate("wavestack_relay_events_total"),
        projection_events_per_second: applied_after
            .iter()
            .map(|(name, total)| (name.clone(), (total - applied_before.get(name).unwrap_or(&0.0)) / seconds))
            .collect(),
        projection_lag_at_end: metrics::sum(&after, "wavestack_projection_lag_records", &[]),
    };
    Ok(Report {
        started_at,
        machine: Machine::this(),
        config,
        phases: results,
        pipeline,
        baselines,
        process,
        replay: None,
        probes_during_batch,
    })
}

/// Runs a phase, waits for its backlog to be visible, and adds each
/// component's rate: the events it handled from the phase's start, over the
/// time until it handled its last one. (Over the whole window every
/// component handles the same events, so only its own finishing time tells
/// a slow relay from a slow projection.)
async fn drained(
    http: &reqwest::Client,
    target: &Target,
    phase: impl std::future::Future<Output = phases::PhaseResult>,
) -> anyhow::Result<phases::PhaseResult> {
    let started = Instant::now();
    let first = counters(&scrape(http, target).await?);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (http, target, stop) = (http.clone(), target.clone(), stop.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(text) = scrape(&http, &target).await {
                    samples.push((started.elapsed().as_secs_f64(), counters(&text)));
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            samples
        })
    };
    let mut result = phase.await;
    result.drained_after_seconds = settle(target).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let samples = sampler.await?;
    let Some((_, last)) = samples.last() else { return Ok(result) };
    for (component, total) in last {
        let handled = total - first.get(component).unwrap_or(&0.0);
        // The first sample at which the counter had reached its final value.
        let finished = samples.iter().find(|(_, c)| c.get(component) == Some(total)).map_or(0.0, |(at, _)| *at);
        if handled > 0.0 && finished > 0.0 {
            result.pipeline_events_per_second.insert(component.clone(), handled / finished);
        }
    }
    Ok(result)
}

/// The relay's and each projection's event counters.
fn counters(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::from([("relay".to_owned(), metrics::sum(text, "wavestack_relay_events_total", &[]))]);
    for (name, total) in metrics::by_label(text, "wavestack_projection_events_applied_total", "projection") {
        out.insert(format!("projection {name}"), total);
    }
    out
}

/// The same machine's raw rates, measured now; a baseline that fails is
/// reported as missing rather than failing the run.
async fn baselines(target: &Target, config: &BenchConfig) -> Baselines {
    let mut out = Baselines { postgres_insert: None, broker_produce: None, broker_consume: None, record_bytes: None };
    if let Some(database_url) = &target.database_url {
        tracing::info!("baseline: raw batched INSERT");
        match baselines::postgres_insert(database_url, config.seconds, config.batch_clients, config.batch_size).await {
            Ok(rate) => out.postgres_insert = Some(rate),
            Err(error) => tracing::warn!(%error, "the INSERT baseline failed"),
        }
    }
    if let Some(brokers) = &target.kafka_brokers {
        tracing::info!(records = config.baseline_records, "baseline: raw produce and consume");
        let kafka = KafkaConfig::new(brokers.clone());
        let limit = Duration::from_secs(config.seconds.max(60) * 3);
        match baselines::broker(&kafka, config.baseline_records, limit).await {
            Ok(broker) => {
                out.broker_produce = broker.broker_produce;
                out.broker_consume = broker.broker_consume;
                out.record_bytes = broker.record_bytes;
            }
            Err(error) => tracing::warn!(%error, "the broker baseline failed"),
        }
    }
    out
}

/// Seconds until the phase's backlog was visible; `None` if it never was.
async fn settle(target: &Target) -> Option<f64> {
    match phases::settle(target, std::time::Duration::from_secs(300)).await {
        Ok(took) => Some(took.as_secs_f64()),
        Err(error) => {
            tracing::warn!(%error, "moving on");
            None
        }
    }
}

fn named(mut result: phases::PhaseResult, name: &str) -> phases::PhaseResult {
    result.name = name.to_owned();
    result
}

async fn scrape(http: &reqwest::Client, target: &Target) -> anyhow::Result<String> {
    http.get(format!("{}/metrics", target.query_api))
        .send()
        .await
        .context("reading the stack's metrics")?
        .text()
        .await
        .context("reading the stack's metrics")
}
