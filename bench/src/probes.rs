//! An orchestrator's probes while the heaviest phase runs: `/health` and
//! `/ready` of both APIs, ten times a second each, open loop (a probe
//! counts from when it was due, so a process that stalls is not hidden by
//! probes waiting their turn). A probe is failed by anything but 200 within
//! its timeout; orchestrators typically give one second.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::latency::{Latencies, Summary};
use crate::phases::Target;

const EVERY: Duration = Duration::from_millis(100);
/// Longer than an orchestrator waits, to see how late the late ones are.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    /// `command /ready`, `query /health`, …
    pub probe: String,
    pub latency: Summary,
    /// Not 200, or no answer within the timeout.
    pub failures: u64,
}

#[derive(Default)]
struct Tally {
    latencies: Latencies,
    failures: u64,
}

/// Probes until `stop` is set, then summarises each probe.
pub fn start(target: &Target, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<ProbeResult>> {
    let probes: Vec<(String, String)> = [("command", &target.command_api), ("query", &target.query_api)]
        .into_iter()
        .flat_map(|(api, base)| {
            ["/health", "/ready"].map(|path| (format!("{api} {path}"), format!("{}{path}", base.trim_end_matches('/'))))
        })
        .collect();
    tokio::spawn(async move {
        // Its own connections: the load's pool must not queue the probes.
        let http = reqwest::Client::builder().timeout(TIMEOUT).build().expect("a plain client builds");
        let tallies: Arc<Mutex<BTreeMap<String, Tally>>> = Arc::default();
        let mut tasks = tokio::task::JoinSet::new();
        let mut due = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep_until(due.into()).await;
            for (name, url) in &probes {
                let (http, tallies, name, url) = (http.clone(), tallies.clone(), name.clone(), url.clone());
                let sent = due;
                tasks.spawn(async move {
                    let ok = http.get(&url).send().await.is_ok_and(|r| r.status().as_u16() == 200);
                    let took = sent.elapsed();
                    let mut tallies = tallies.lock().expect("not poisoned");
                    let tally = tallies.entry(name).or_default();
                    tally.latencies.record(took);
                    tally.failures += u64::from(!ok);
                });
            }
            due += EVERY;
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        let tallies = std::mem::take(&mut *tallies.lock().expect("not poisoned"));
        tallies
            .into_iter()
            .map(|(probe, t)| ProbeResult { probe, latency: t.latencies.summary(), failures: t.failures })
            .collect()
    })
}
