//! One whole run against a stack that is up: the phases in turn, the
//! stack's counters before and after, the process sampled throughout.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

use crate::metrics;
use crate::phases::{self, Target};
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
    let mut drained = Vec::new();
    tracing::info!(rate = config.visible_rate, "phase: command to visible");
    results.push(phases::visibility(target, shape.clone(), config.seconds, config.visible_rate).await);
    drained.push(settle(target).await);
    tracing::info!(rate = config.rate, "phase: single posts at a fixed rate");
    results.push(named(
        phases::single(target, shape.clone(), config.seconds, Some(config.rate), 0).await,
        "single, fixed rate",
    ));
    drained.push(settle(target).await);
    tracing::info!(clients = config.clients, "phase: single posts, flat out");
    results.push(named(
        phases::single(target, shape.clone(), config.seconds, None, config.clients).await,
        "single, flat out",
    ));
    drained.push(settle(target).await);
    tracing::info!(size = config.batch_size, "phase: batches, flat out");
    results.push(phases::batch(target, shape, config.seconds, config.batch_size, config.batch_clients).await);
    drained.push(settle(target).await);
    for (result, drained) in results.iter_mut().zip(drained) {
        result.drained_after_seconds = drained;
    }

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
    Ok(Report { started_at, machine: Machine::this(), config, phases: results, pipeline, process })
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
