//! Load generator for `POST /v1/chat/messages` against a running command
//! API (`wavestack up`). Three phases, each printed as one line:
//!
//! - `single`: closed loop, `--concurrency` clients each posting one
//!   message at a time: accepted messages per second.
//! - `batch`: closed loop, batches of `--batch` messages: accepted messages
//!   per second.
//! - `latency`: open loop at `--rate` single posts per second (a moderate
//!   load, well under saturation): p50 / p99 / max latency.
//!
//! ```text
//! cargo run --release --example chat_load -p wavestack-command-api -- \
//!     --url http://127.0.0.1:8080 --token "$TOKEN"
//! ```
//! - `visible` (with `--read-url` and `--read-token`): single posts at
//!   `--visible-rate`/s, each followed by a leaderboard query with
//!   read-your-writes (`aggregate_id` + `min_sequence`): latency from the
//!   command's 202 to the query's 200, p50 / p99 (10 ms polling granularity).
//!
//! Start the server with a rate limit above the load
//! (`WAVESTACK_RATE_LIMIT_PER_SECOND=1000000`), or it answers 429.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Args {
    url: String,
    token: String,
    seconds: u64,
    concurrency: usize,
    batch: usize,
    rate: u64,
    viewers: u64,
    read_url: Option<String>,
    read_token: Option<String>,
    visible_rate: u64,
    skip_load: bool,
}

fn args() -> Args {
    let mut args = Args {
        url: "http://127.0.0.1:8080".into(),
        token: std::env::var("TOKEN").unwrap_or_default(),
        seconds: 20,
        concurrency: 32,
        batch: 500,
        rate: 200,
        viewers: 2000,
        read_url: None,
        read_token: None,
        visible_rate: 20,
        skip_load: false,
    };
    let raw: Vec<String> = std::env::args().skip(1).collect();
    for pair in raw.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--url" => args.url = value,
            "--token" => args.token = value,
            "--seconds" => args.seconds = value.parse().expect("--seconds N"),
            "--concurrency" => args.concurrency = value.parse().expect("--concurrency N"),
            "--batch" => args.batch = value.parse().expect("--batch N"),
            "--rate" => args.rate = value.parse().expect("--rate N"),
            "--viewers" => args.viewers = value.parse().expect("--viewers N"),
            "--read-url" => args.read_url = Some(value),
            "--read-token" => args.read_token = Some(value),
            "--visible-rate" => args.visible_rate = value.parse().expect("--visible-rate N"),
            "--skip-load" => args.skip_load = value == "true",
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(!args.token.is_empty(), "--token or TOKEN is required");
    args
}

static NEXT: AtomicU64 = AtomicU64::new(0);

fn message(run: &str, viewers: u64) -> Value {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    json!({
        "platform": "twitch", "channel": "loadtest", "user_id": format!("v{}", n % viewers),
        "message_id": format!("{run}-{n}"), "author": "Load Test", "text": "gg that was close",
    })
}

async fn post(http: &reqwest::Client, args: &Args, body: &Value) -> (u16, Value) {
    let response = http
        .post(format!("{}/v1/chat/messages", args.url))
        .bearer_auth(&args.token)
        .json(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn closed_loop(args: Arc<Args>, run: String, batch: Option<usize>) -> f64 {
    let http = reqwest::Client::new();
    let accepted = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (http, args, run, accepted) = (http.clone(), args.clone(), run.clone(), accepted.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let body = match batch {
                        Some(n) => {
                            json!({ "messages": (0..n).map(|_| message(&run, args.viewers)).collect::<Vec<_>>() })
                        }
                        None => message(&run, args.viewers),
                    };
                    let (status, answer) = post(&http, &args, &body).await;
                    assert_eq!(status, 202, "{answer}");
                    let n = if batch.is_some() { answer["accepted"].as_u64().unwrap() } else { 1 };
                    accepted.fetch_add(n, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    accepted.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn open_loop(args: Arc<Args>, run: String) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
    let total = args.rate * args.seconds;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sends = Vec::with_capacity(total as usize);
    for _ in 0..total {
        ticker.tick().await;
        let (http, args, run) = (http.clone(), args.clone(), run.clone());
        sends.push(tokio::spawn(async move {
            let body = message(&run, args.viewers);
            let started = Instant::now();
            let (status, answer) = post(&http, &args, &body).await;
            assert_eq!(status, 202, "{answer}");
            started.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(sends.len());
    for send in sends {
        latencies.push(send.await.unwrap());
    }
    latencies.sort();
    latencies
}

/// Command accepted → visible in the query API, one post at a time.
async fn visible(args: Arc<Args>, run: String, read_url: &str, read_token: &str) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let total = args.visible_rate * args.seconds;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.visible_rate as f64));
    let mut sends = Vec::new();
    for _ in 0..total {
        ticker.tick().await;
        let (http, args, run, read_url, read_token) =
            (http.clone(), args.clone(), run.clone(), read_url.to_owned(), read_token.to_owned());
        sends.push(tokio::spawn(async move {
            let (status, answer) = post(&http, &args, &message(&run, args.viewers)).await;
            assert_eq!(status, 202, "{answer}");
            let accepted = Instant::now();
            let response = http
                .get(format!("{read_url}/v1/channels/loadtest/leaderboard"))
                .bearer_auth(&read_token)
                .query(&[
                    ("aggregate_id", answer["aggregate_id"].as_str().unwrap()),
                    ("min_sequence", &answer["sequence"].to_string()),
                    ("limit", "1"),
                    ("wait_ms", "30000"),
                ])
                .send()
                .await
                .expect("query sent");
            assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
            accepted.elapsed()
        }));
    }
    let mut latencies = Vec::new();
    for send in sends {
        latencies.push(send.await.unwrap());
    }
    latencies.sort();
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let args = Arc::new(args());
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    if let (Some(read_url), Some(read_token)) = (args.read_url.clone(), args.read_token.clone()) {
        let latencies = visible(args.clone(), format!("{run}v"), &read_url, &read_token).await;
        println!(
            "visible: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms  (command accepted -> in the leaderboard; {} posts at {}/s)",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
            latencies.len(),
            args.visible_rate
        );
    }
    if args.skip_load {
        return;
    }
    let single = closed_loop(args.clone(), format!("{run}s"), None).await;
    println!("single:  {single:>8.0} accepted messages/s  ({} clients, one message per request)", args.concurrency);
    let batched = closed_loop(args.clone(), format!("{run}b"), Some(args.batch)).await;
    println!(
        "batch:   {batched:>8.0} accepted messages/s  ({} clients, {} messages per request)",
        args.concurrency, args.batch
    );
    let latencies = open_loop(args.clone(), format!("{run}l")).await;
    println!(
        "latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms  ({} single posts at {}/s)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        latencies.len(),
        args.rate
    );
}
