//! The measured process's memory and CPU, sampled from `/proc` (Linux).

use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ProcessStats {
    /// The kernel's high-water mark of resident memory (`VmHWM`).
    pub peak_rss_mb: f64,
    /// CPU over the sampled time, in % of one core (200 = both cores).
    pub cpu_avg_percent: f64,
    /// The busiest one-second sample.
    pub cpu_peak_percent: f64,
    /// CPU of its child processes over the same time (the local broker).
    pub children_cpu_avg_percent: f64,
}

/// Samples `pid` every second until `stop` is set.
pub fn sample(pid: u32, stop: Arc<AtomicBool>) -> JoinHandle<ProcessStats> {
    tokio::spawn(async move {
        let ticks = CLOCK_TICKS;
        let started = Instant::now();
        let first = cpu_ticks(pid).unwrap_or(0);
        let children_first = children_ticks(pid);
        let (mut last, mut last_at, mut peak) = (first, Instant::now(), 0.0f64);
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(now) = cpu_ticks(pid) else { break };
            let elapsed = last_at.elapsed().as_secs_f64();
            peak = peak.max((now - last) as f64 / ticks / elapsed * 100.0);
            (last, last_at) = (now, Instant::now());
        }
        let total = started.elapsed().as_secs_f64().max(1e-3);
        ProcessStats {
            peak_rss_mb: peak_rss_kb(pid).unwrap_or(0) as f64 / 1024.0,
            cpu_avg_percent: (last - first) as f64 / ticks / total * 100.0,
            cpu_peak_percent: peak,
            children_cpu_avg_percent: (children_ticks(pid).saturating_sub(children_first)) as f64 / ticks / total
                * 100.0,
        }
    })
}

/// utime + stime, in clock ticks (fields 14 and 15 of `/proc/<pid>/stat`).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields are counted after its `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU ticks of the direct children of `pid` (of all its threads).
fn children_ticks(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|children| children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()).collect::<Vec<_>>())
        .filter_map(cpu_ticks)
        .sum()
}

/// Resident memory now (`VmRSS`), in KiB.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Linux reports `/proc` CPU times in units of USER_HZ, which is 100.
const CLOCK_TICKS: f64 = 100.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(cpu_ticks(pid).is_some());
        assert!(peak_rss_kb(pid).unwrap() > 1000, "more than a megabyte resident");
    }
}
