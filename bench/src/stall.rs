//! `wavestack bench --scenario stall`: how long the pipeline takes to catch
//! up after the broker stalls. Chat flows at a fixed rate throughout; after
//! a warm-up the local broker is stopped (SIGSTOP) for `stall_seconds`,
//! then resumed, and the command API's `/ready` is sampled until the relay
//! and every consumer are caught up again: the relay's oldest unrelayed
//! event under 2 s old, and then every consumer less than 2 s of traffic
//! behind the refilled log.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::phases::{self, PhaseResult, Target};
use crate::traffic::TrafficShape;

#[derive(Debug, Clone)]
pub struct StallConfig {
    /// Chat messages per second, in batches of `batch`.
    pub rate: u64,
    pub batch: usize,
    pub warmup_seconds: u64,
    pub stall_seconds: u64,
    /// Longest wait for the catch-up after the broker resumes.
    pub catch_up_limit_seconds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StallReport {
    pub started_at: String,
    pub rate: u64,
    pub stall_seconds: u64,
    /// The chat during warm-up, stall and catch-up, as the API answered it.
    pub chat: PhaseResult,
    /// Seconds from the broker's resume until the relay was caught up.
    pub relay_caught_up_seconds: Option<f64>,
    /// … until each consumer was.
    pub consumers_caught_up_seconds: BTreeMap<String, Option<f64>>,
    /// … until everything was: the pipeline's catch-up time.
    pub caught_up_seconds: Option<f64>,
    /// The deepest backlog seen: events not yet on the log, and records
    /// behind of the slowest consumer.
    pub peak_relay_backlog: i64,
    pub peak_consumer_backlog: i64,
    pub broker_panics: usize,
}

/// Runs the scenario against the stack `up_pid` runs (its local broker is
/// the `tansu` child process).
pub async fn run(target: &Target, up_pid: u32, broker_log: &std::path::Path, config: StallConfig) -> StallReport {
    let started_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let shape = TrafficShape { clip_every: 0, ..TrafficShape::default() };
    let stop = Arc::new(AtomicBool::new(false));
    let chat = tokio::spawn({
        let (target, stop) = (target.clone(), stop.clone());
        let (rate, batch) = (config.rate, config.batch);
        async move { phases::paced_batches(&target, shape, rate, batch, stop).await }
    });
    tokio::time::sleep(Duration::from_secs(config.warmup_seconds)).await;
    let broker = broker_pid(up_pid);
    signal(broker, "-STOP");
    let mut peak_relay_backlog = 0;
    let mut peak_consumer_backlog = 0;
    let stall_end = Instant::now() + Duration::from_secs(config.stall_seconds);
    while Instant::now() < stall_end {
        if let Some(ready) = ready(target).await {
            peak_relay_backlog = peak_relay_backlog.max(ready.relay_behind);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    signal(broker, "-CONT");
    let resumed = Instant::now();
    let threshold = (config.rate * 2) as i64;
    let mut relay_caught_up = None;
    let mut consumers: BTreeMap<String, Option<f64>> = BTreeMap::new();
    let mut caught_up = None;
    while resumed.elapsed() < Duration::from_secs(config.catch_up_limit_seconds) {
        if let Some(ready) = ready(target).await {
            peak_relay_backlog = peak_relay_backlog.max(ready.relay_behind);
            let at = resumed.elapsed().as_secs_f64();
            if relay_caught_up.is_none() && ready.broker_reachable && ready.relay_oldest_seconds.unwrap_or(0.0) < 2.0 {
                relay_caught_up = Some(at);
            }
            for (name, behind) in &ready.consumers {
                peak_consumer_backlog = peak_consumer_backlog.max(behind.unwrap_or(0));
                let entry = consumers.entry(name.clone()).or_insert(None);
                // A consumer is caught up only with a log the relay has
                // refilled: before that it is level with a log that is
                // itself behind.
                if entry.is_none() && relay_caught_up.is_some() && behind.is_some_and(|b| b < threshold) {
                    *entry = Some(at);
                }
            }
            if relay_caught_up.is_some() && !consumers.is_empty() && consumers.values().all(Option::is_some) {
                caught_up = Some(at);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let chat = chat.await.expect("the chat task ran");
    let broker_panics = std::fs::read_to_string(broker_log).map_or(0, |log| log.matches("panicked at").count());
    StallReport {
        started_at,
        rate: config.rate,
        stall_seconds: config.stall_seconds,
        chat,
        relay_caught_up_seconds: relay_caught_up,
        consumers_caught_up_seconds: consumers,
        caught_up_seconds: caught_up,
        peak_relay_backlog,
        peak_consumer_backlog,
        broker_panics,
    }
}

impl StallReport {
    pub fn table(&self) -> String {
        let secs = |s: Option<f64>| s.map_or("not within the limit".to_owned(), |s| format!("{s:.1} s"));
        let mut out = format!(
            "# Broker stall, {}\n\n{} msg/s of chat, the broker stopped for {} s.\n\n\
             | measure | value |\n|---|---|\n\
             | chat accepted | {:.0} msg/s, {} refused or failed |\n\
             | relay caught up after the resume | {} |\n",
            self.started_at,
            self.rate,
            self.stall_seconds,
            self.chat.accepted_per_second,
            self.chat.errors,
            secs(self.relay_caught_up_seconds),
        );
        for (name, at) in &self.consumers_caught_up_seconds {
            out.push_str(&format!("| {name} caught up | {} |\n", secs(*at)));
        }
        out.push_str(&format!(
            "| **pipeline caught up** | **{}** |\n| deepest relay backlog | {} events |\n\
             | deepest consumer backlog | {} records |\n| broker panics | {} |\n",
            secs(self.caught_up_seconds),
            self.peak_relay_backlog,
            self.peak_consumer_backlog,
            self.broker_panics
        ));
        out
    }
}

struct Ready {
    broker_reachable: bool,
    relay_behind: i64,
    relay_oldest_seconds: Option<f64>,
    consumers: Vec<(String, Option<i64>)>,
}

/// The command API's `/ready`: it answers 200 while the broker is away
/// (commands still go into Postgres) and reports the pipeline.
async fn ready(target: &Target) -> Option<Ready> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().ok()?;
    let body: Value = http.get(format!("{}/ready", target.command_api)).send().await.ok()?.json().await.ok()?;
    let consumers = body["consumers"]
        .as_array()?
        .iter()
        .filter_map(|c| Some((c["name"].as_str()?.to_owned(), c["records_behind"].as_i64())))
        .collect();
    Some(Ready {
        broker_reachable: body["broker"]["reachable"].as_bool().unwrap_or(false),
        relay_behind: body["relay"]["events_behind"].as_i64().unwrap_or(0),
        relay_oldest_seconds: body["relay"]["oldest_seconds"].as_f64(),
        consumers,
    })
}

fn broker_pid(up_pid: u32) -> u32 {
    let out = Command::new("pgrep").args(["-P", &up_pid.to_string(), "-x", "tansu"]).output().expect("pgrep runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("the stack runs a local broker")
}

fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill").args([signal, &pid.to_string()]).status();
}
