//! One run's results: machine-readable (JSON) and as a table.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::phases::PhaseResult;
use crate::process::ProcessStats;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started_at: String,
    pub machine: Machine,
    pub config: BenchConfig,
    pub phases: Vec<PhaseResult>,
    pub pipeline: Pipeline,
    pub process: Option<ProcessStats>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub memory_gb: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchConfig {
    /// Length of each phase.
    pub seconds: u64,
    /// Clients of the flat-out single-post phase.
    pub clients: usize,
    /// Offered rate of the fixed-rate single-post phase.
    pub rate: u64,
    pub batch_size: usize,
    pub batch_clients: usize,
    /// Offered rate of the visibility phase.
    pub visible_rate: u64,
    pub channels: u64,
    pub viewers: u64,
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
        let p = &self.pipeline;
        let _ = writeln!(out, "\n| pipeline (mean over {:.0} s) | events/s |\n|---|---|", p.seconds);
        let _ = writeln!(out, "| relay | {:.0} |", p.relay_events_per_second);
        for (projection, rate) in &p.projection_events_per_second {
            let _ = writeln!(out, "| projection {projection} | {rate:.0} |");
        }
        let _ = writeln!(out, "\nProjection lag at the end: {:.0} records.", p.projection_lag_at_end);
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
