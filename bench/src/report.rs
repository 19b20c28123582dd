//! One run's results: machine-readable (JSON) and as a table.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::baselines::{Baselines, Rate};
use crate::phases::PhaseResult;
use crate::probes::ProbeResult;
use crate::process::ProcessStats;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started_at: String,
    pub machine: Machine,
    pub config: BenchConfig,
    pub phases: Vec<PhaseResult>,
    pub pipeline: Pipeline,
    pub baselines: Baselines,
    pub process: Option<ProcessStats>,
    /// A read model rebuilt from the whole log, measured after the phases.
    pub replay: Option<ReplayResult>,
    /// `/health` and `/ready` of both APIs while the batches ran.
    pub probes_during_batch: Vec<ProbeResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayResult {
    pub projection: String,
    pub records_read: u64,
    pub events_applied: u64,
    pub seconds: f64,
    pub records_per_second: f64,
    /// Events in the store when the replay began.
    pub events_in_store: u64,
    /// The same log's chat topic read raw, right after the replay, with the
    /// baseline's consumer.
    pub raw_consume_of_log: Option<Rate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub memory_gb: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchConfig {
    /// Length of each phase but the batch phase.
    pub seconds: u64,
    pub batch_seconds: u64,
    /// Clients of the flat-out single-post phase.
    pub clients: usize,
    /// Offered rate of the fixed-rate single-post phase.
    pub rate: u64,
    pub batch_size: usize,
    pub batch_clients: usize,
    /// Offered messages per second of the visibility phases.
    pub visible_rate: u64,
    /// Messages per request of the second visibility phase.
    pub visible_batch: usize,
    pub channels: u64,
    pub viewers: u64,
    /// Records of the broker baseline's produce and consume.
    pub baseline_records: u64,
    /// Events the log holds before the replay is measured (filled with
    /// batches first if it holds fewer); 0 skips the replay.
    pub replay_events: u64,
}

/// The pipeline behind the API, from the stack's own counters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pipeline {
    pub seconds: f64,
    /// Events the relay put on the log, per second over the run.
    pub relay_events_per_second: f64,
    /// Events each projection applied, per second over the run.
    pub projection_events_per_second: BTreeMap<String, f64>,
    /// Records the projections still had to read when the run ended.
    pub projection_lag_at_end: f64,
}

impl Machine {
    pub fn this() -> Self {
        let memory_kb: f64 = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| m.lines().find(|l| l.starts_with("MemTotal:"))?.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0.0);
        Self {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gb: (memory_kb / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        }
    }
}

impl Report {
    /// Relay first, then the projections, as the phases measured them.
    fn pipeline_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> =
            self.phases.iter().flat_map(|p| p.pipeline_events_per_second.keys().cloned()).collect();
        columns.sort_by_key(|c| (c != "relay", c.clone()));
        columns.dedup();
        columns
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "WaveStack bench, {} — {} cores, {} GiB\n",
            self.started_at, self.machine.cpus, self.machine.memory_gb
        );
        let _ = writeln!(
            out,
            "| phase | offered/s | accepted/s | requests | errors | p50 | p90 | p99 | p99.9 | max | drained after |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
        for phase in &self.phases {
            let l = &phase.latency;
            let offered = phase.offered_per_second.map_or("flat out".to_owned(), |r| format!("{r:.0}"));
            let _ = writeln!(
                out,
                "| {} | {offered} | {:.0} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
                phase.name,
                phase.accepted_per_second,
                phase.requests,
                phase.errors,
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.p999_ms,
                l.max_ms,
                phase.drained_after_seconds.map_or("not in 5 min".to_owned(), |s| format!("{s:.1} s"))
            );
        }
        for phase in self.phases.iter().filter(|p| !p.error_reasons.is_empty()) {
            let reasons: Vec<String> = phase.error_reasons.iter().map(|(why, n)| format!("{why} ×{n}")).collect();
            let _ = writeln!(out, "\nErrors in {}: {}.", phase.name, reasons.join(", "));
        }
        let _ = writeln!(
            out,
            "\n| phase: events/s, from its start until each had handled its last | {} |",
            self.pipeline_columns().join(" | ")
        );
        let _ = writeln!(out, "|---|{}", "---|".repeat(self.pipeline_columns().len()));
        for phase in &self.phases {
            let rates: Vec<String> = self
                .pipeline_columns()
                .iter()
                .map(|c| phase.pipeline_events_per_second.get(c).map_or("–".to_owned(), |r| format!("{r:.0}")))
                .collect();
            let _ = writeln!(out, "| {} | {} |", phase.name, rates.join(" | "));
        }
        if !self.probes_during_batch.is_empty() {
            let _ = writeln!(
                out,
                "\n| probe, while the batches ran | probes | failed | p50 | p99 | max |\n|---|---|---|---|---|---|"
            );
            for p in &self.probes_during_batch {
                let l = &p.latency;
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
                    p.probe, l.count, p.failures, l.p50_ms, l.p99_ms, l.max_ms
                );
            }
        }
        let p = &self.pipeline;
        let _ = writeln!(out, "\n| whole run (mean over {:.0} s) | events/s |\n|---|---|", p.seconds);
        let _ = writeln!(out, "| relay | {:.0} |", p.relay_events_per_second);
        for (projection, rate) in &p.projection_events_per_second {
            let _ = writeln!(out, "| projection {projection} | {rate:.0} |");
        }
        let _ = writeln!(out, "\nProjection lag at the end: {:.0} records.", p.projection_lag_at_end);
        let b = &self.baselines;
        let _ =
            writeln!(out, "\n| baseline (same machine, same run) | count | seconds | per second |\n|---|---|---|---|");
        let row = |out: &mut String, name: &str, rate: &Option<Rate>| {
            let _ = match rate {
                Some(r) => writeln!(
                    out,
                    "| {name} | {} | {:.1} | {:.0}{} |",
                    r.count,
                    r.seconds,
                    r.per_second,
                    if r.cut_short { " (stopped at its time limit)" } else { "" }
                ),
                None => writeln!(out, "| {name} | – | – | not measured |"),
            };
        };
        row(&mut out, "raw batched INSERT, rows", &b.postgres_insert);
        row(&mut out, "raw produce, Avro records", &b.broker_produce);
        row(&mut out, "raw consume, Avro records", &b.broker_consume);
        if let Some(bytes) = b.record_bytes {
            let _ = writeln!(out, "\nBaseline records: {bytes:.0} bytes (key and value), copied from the relay's.");
        }
        if let Some(r) = &self.replay {
            let _ = writeln!(
                out,
                "\nReplay of {} over a log of {} events: {} records read, {} applied in {:.1} s: **{:.0} records/s**.",
                r.projection, r.events_in_store, r.records_read, r.events_applied, r.seconds, r.records_per_second
            );
            if let Some(raw) = &r.raw_consume_of_log {
                let _ = writeln!(
                    out,
                    "The same log's chat topic read raw: {} records in {:.1} s, {:.0} records/s{}; replay / raw = {:.2}.",
                    raw.count,
                    raw.seconds,
                    raw.per_second,
                    if raw.cut_short { " (stopped at its time limit)" } else { "" },
                    r.records_per_second / raw.per_second.max(1e-9)
                );
            }
        }
        if let Some(process) = &self.process {
            let _ =
                writeln!(
                out,
                "`wavestack up`: peak RSS {:.0} MB, CPU {:.0}% of a core on average, {:.0}% at the busiest second; \
                 its child processes (the local broker) {:.0}% on average.",
                process.peak_rss_mb, process.cpu_avg_percent, process.cpu_peak_percent, process.children_cpu_avg_percent
            );
        }
        out
    }
}
