//! `wavestack bench --scenario walls`: whether one caller's abuse costs a
//! well-behaved one, on a stack with its default limits (nothing lifted).
//!
//! 1. unloaded: the well-behaved org posts single chat messages at a fixed
//!    rate, alone: the p99 the next two are held to;
//! 2. token flood: meanwhile one client floods `POST /v1/auth/token` with
//!    made-up client ids as fast as it can;
//! 3. noisy neighbour: meanwhile another org floods chat batches flat out,
//!    far past the stack's capacity.
//!
//! Each phase samples the stack's CPU and memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::phases::{self, PhaseResult, Target};
use crate::process::{self, ProcessStats};
use crate::traffic::TrafficShape;

#[derive(Debug, Clone)]
pub struct WallsConfig {
    pub seconds: u64,
    /// The well-behaved org's single posts per second.
    pub quiet_rate: u64,
    /// Concurrent clients of each flood.
    pub flood_clients: usize,
    /// Messages per batch of the noisy org.
    pub flood_batch: usize,
    /// Messages per second the noisy org offers: ten times what the stack
    /// ingests at best (about 8,000/s batched on 2 cores, BENCHMARKS.md).
    pub flood_messages_per_second: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FloodResult {
    /// The well-behaved org's posts during the flood.
    pub quiet: PhaseResult,
    /// The flood's requests per second and how they were answered.
    pub flood_requests_per_second: f64,
    pub flood_answers: BTreeMap<String, u64>,
    /// Messages per second the flood offered (batches × size), if chat.
    pub flood_messages_offered_per_second: Option<f64>,
    pub flood_messages_accepted_per_second: Option<f64>,
    pub process: ProcessStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct WallsReport {
    pub started_at: String,
    pub config_seconds: u64,
    pub quiet_rate: u64,
    pub flood_clients: usize,
    pub unloaded: PhaseResult,
    pub unloaded_process: ProcessStats,
    pub token_flood: FloodResult,
    pub noisy_neighbour: FloodResult,
}

fn quiet_shape() -> TrafficShape {
    // Chat only: the walls are about ingest, and clips would need media.
    TrafficShape { clip_every: 0, ..TrafficShape::default() }
}

async fn sampled<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, ProcessStats) {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = process::sample(pid, stop.clone());
    let result = work.await;
    stop.store(true, Ordering::Relaxed);
    (result, sampler.await.unwrap_or_default())
}

pub async fn run(quiet: &Target, noisy: &Target, pid: u32, config: WallsConfig) -> WallsReport {
    let started_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let seconds = config.seconds;
    let quiet_phase = || phases::single(quiet, quiet_shape(), seconds, Some(config.quiet_rate), 1);

    // Not measured: connections, caches and the read models' first
    // writes warm up, so that the baseline is of a running stack.
    eprintln!("walls: warming up for {seconds} s");
    let _ = quiet_phase().await;
    eprintln!("walls: the well-behaved org alone, {} posts/s for {seconds} s", config.quiet_rate);
    let (unloaded, unloaded_process) = sampled(pid, quiet_phase()).await;

    eprintln!("walls: a token flood from {} clients beside it", config.flood_clients);
    let ((quiet_result, flood), process) =
        sampled(pid, async { tokio::join!(quiet_phase(), token_flood(quiet, seconds, config.flood_clients)) }).await;
    let token_flood = FloodResult {
        quiet: quiet_result,
        flood_requests_per_second: flood.requests as f64 / flood.seconds,
        flood_answers: flood.answers,
        flood_messages_offered_per_second: None,
        flood_messages_accepted_per_second: None,
        process,
    };

    eprintln!(
        "walls: another org flooding batches of {} from {} clients beside it",
        config.flood_batch, config.flood_clients
    );
    // The flood's bodies are made before it starts: building 500-message
    // batches as fast as they can be sent took the bench's own CPU from
    // the well-behaved client beside it (both share the machine's 2 cores),
    // which then measured its own starvation.
    let mut traffic = crate::traffic::Traffic::new(quiet_shape(), 7);
    let bodies: Vec<Vec<u8>> =
        (0..64).map(|_| serde_json::to_vec(&traffic.batch(config.flood_batch)).expect("JSON")).collect();
    let ((quiet_result, flood), process) = sampled(pid, async {
        let batches_per_second = config.flood_messages_per_second as f64 / config.flood_batch.max(1) as f64;
        tokio::join!(quiet_phase(), chat_flood(noisy, seconds, config.flood_clients, batches_per_second, bodies))
    })
    .await;
    let noisy_neighbour = FloodResult {
        flood_requests_per_second: flood.requests as f64 / flood.seconds,
        flood_messages_offered_per_second: Some(flood.requests as f64 * config.flood_batch as f64 / flood.seconds),
        flood_messages_accepted_per_second: Some(flood.accepted_messages as f64 / flood.seconds),
        flood_answers: flood.answers,
        quiet: quiet_result,
        process,
    };
    WallsReport {
        started_at,
        config_seconds: seconds,
        quiet_rate: config.quiet_rate,
        flood_clients: config.flood_clients,
        unloaded,
        unloaded_process,
        token_flood,
        noisy_neighbour,
    }
}

struct Flood {
    requests: u64,
    seconds: f64,
    answers: BTreeMap<String, u64>,
    accepted_messages: u64,
}

/// What a flood's clients were answered, counted as they go.
#[derive(Default)]
struct FloodTally {
    requests: AtomicU64,
    accepted_messages: AtomicU64,
    answers: Mutex<BTreeMap<String, u64>>,
}

impl FloodTally {
    /// Counts one answer (`HTTP <status> <code>`), and the messages a 202
    /// says it accepted.
    async fn record(&self, sent: Result<reqwest::Response, reqwest::Error>) {
        let answer = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                if status == 202 {
                    self.accepted_messages.fetch_add(body["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed);
                }
                format!("HTTP {status} {}", body["error"]["code"].as_str().unwrap_or("")).trim_end().to_owned()
            }
            Err(_) => "connection failed".to_owned(),
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        *self.answers.lock().expect("not poisoned").entry(answer).or_default() += 1;
    }

    fn finish(&self, started: Instant) -> Flood {
        Flood {
            requests: self.requests.load(Ordering::Relaxed),
            seconds: started.elapsed().as_secs_f64(),
            answers: self.answers.lock().expect("not poisoned").clone(),
            accepted_messages: self.accepted_messages.load(Ordering::Relaxed),
        }
    }
}

/// `clients` loops posting the prepared chat batches, round and round, at
/// most `batches_per_second` together (each client paced to its share).
async fn chat_flood(
    target: &Target,
    seconds: u64,
    clients: usize,
    batches_per_second: f64,
    bodies: Vec<Vec<u8>>,
) -> Flood {
    let pace = Duration::from_secs_f64(clients.max(1) as f64 / batches_per_second.max(1e-3));
    let http = phases::client();
    let bodies = Arc::new(bodies);
    let tally = Arc::new(FloodTally::default());
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients.max(1) {
        let (http, target, bodies, tally) = (http.clone(), target.clone(), bodies.clone(), tally.clone());
        tasks.spawn(async move {
            let mut n = client;
            let mut next = Instant::now() + pace.mul_f64(client as f64 / clients.max(1) as f64);
            while Instant::now() < end {
                tokio::time::sleep_until(next.into()).await;
                next = (next + pace).max(Instant::now() - pace);
                n += 1;
                let body = bodies[n % bodies.len()].clone();
                let sent = http
                    .post(format!("{}/v1/chat/messages", target.command_api))
                    .bearer_auth(&target.write_token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                tally.record(sent).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    tally.finish(started)
}

/// `clients` loops posting client-credential grants for made-up ids.
async fn token_flood(target: &Target, seconds: u64, clients: usize) -> Flood {
    let http = phases::client();
    let tally = Arc::new(FloodTally::default());
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients.max(1) {
        let (http, url, tally) = (http.clone(), format!("{}/v1/auth/token", target.command_api), tally.clone());
        tasks.spawn(async move {
            let mut n = 0u64;
            while Instant::now() < end {
                n += 1;
                let id = format!("made-up-{client}-{n}");
                let form = [("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", "guess")];
                tally.record(http.post(&url).form(&form).send().await).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    tally.finish(started)
}

impl WallsReport {
    /// The report as a Markdown table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "## walls, {} ({} s per phase, well-behaved org at {} posts/s, floods of {} clients)\n\n",
            self.started_at, self.config_seconds, self.quiet_rate, self.flood_clients
        );
        out.push_str("| phase | well-behaved accepted/s | p50 ms | p99 ms | max ms | errors | flood req/s | flood msgs offered/s | flood msgs accepted/s | CPU avg % | peak RSS MB |\n");
        out.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
        let row = |name: &str, quiet: &PhaseResult, flood: Option<&FloodResult>, process: &ProcessStats| {
            let opt = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.0}"));
            format!(
                "| {name} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {:.0} | {:.0} |\n",
                quiet.accepted_per_second,
                quiet.latency.p50_ms,
                quiet.latency.p99_ms,
                quiet.latency.max_ms,
                quiet.errors,
                opt(flood.map(|f| f.flood_requests_per_second)),
                opt(flood.and_then(|f| f.flood_messages_offered_per_second)),
                opt(flood.and_then(|f| f.flood_messages_accepted_per_second)),
                process.cpu_avg_percent,
                process.peak_rss_mb,
            )
        };
        out.push_str(&row("unloaded", &self.unloaded, None, &self.unloaded_process));
        out.push_str(&row("token flood", &self.token_flood.quiet, Some(&self.token_flood), &self.token_flood.process));
        out.push_str(&row(
            "noisy neighbour",
            &self.noisy_neighbour.quiet,
            Some(&self.noisy_neighbour),
            &self.noisy_neighbour.process,
        ));
        let ratio = |p: &PhaseResult| p.latency.p99_ms / self.unloaded.latency.p99_ms.max(1e-3);
        out.push_str(&format!(
            "\nwell-behaved p99 against unloaded: token flood {:.2}×, noisy neighbour {:.2}× (target ≤ 2×)\n",
            ratio(&self.token_flood.quiet),
            ratio(&self.noisy_neighbour.quiet)
        ));
        out.push_str(&format!("\ntoken flood answers: {:?}\n", self.token_flood.flood_answers));
        out.push_str(&format!("noisy neighbour answers: {:?}\n", self.noisy_neighbour.flood_answers));
        out.push_str(&format!(
            "well-behaved errors: token flood {:?}; noisy neighbour {:?}\n",
            self.token_flood.quiet.error_reasons, self.noisy_neighbour.quiet.error_reasons
        ));
        out
    }
}
