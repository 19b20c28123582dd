//! The load phases, each against the command API over HTTP:
//!
//! - `single`: one message (or clip request) per request, at a fixed offered
//!   rate (open loop: latency counts from when a request was due, so a
//!   stalled server is not hidden by clients that stopped sending) or flat
//!   out with a number of clients (closed loop);
//! - `batch`: batches of messages, flat out;
//! - `visibility`: posts at a modest rate, each followed by a read with
//!   read-your-writes: the time from the command's 202 to the query's 200.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use wavestack_api_types::chat::{BatchPost, ChatMessageBody};

use crate::latency::{Latencies, Summary};
use crate::traffic::{Request, Traffic, TrafficShape};

#[derive(Debug, Clone)]
pub struct Target {
    pub command_api: String,
    pub query_api: String,
    pub write_token: String,
    pub read_token: String,
    /// The stack's broker and database, for the baselines; none skips them.
    pub kafka_brokers: Option<String>,
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseResult {
    pub name: String,
    pub seconds: f64,
    /// Requests per second asked for (open loop), or none (flat out).
    pub offered_per_second: Option<f64>,
    pub requests: u64,
    /// Commands accepted (messages, for batches), per second.
    pub accepted_per_second: f64,
    pub errors: u64,
    /// Why, counted: an HTTP status with its error code, or the failure.
    pub error_reasons: BTreeMap<String, u64>,
    pub latency: Summary,
    /// How long the pipeline took, after the phase, until everything the
    /// phase sent was visible in the query API.
    pub drained_after_seconds: Option<f64>,
    /// Events per second through the relay and each projection from the
    /// phase's start until it drained (or the drain gave up).
    pub pipeline_events_per_second: BTreeMap<String, f64>,
}

/// Requests in flight beyond this are not sent (and counted as errors):
/// the server is not keeping up with the offered rate.
const MAX_IN_FLIGHT: u64 = 4096;

struct Tally {
    accepted: AtomicU64,
    errors: AtomicU64,
    reasons: Mutex<BTreeMap<String, u64>>,
    requests: AtomicU64,
    latencies: Mutex<Latencies>,
}

impl Tally {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            accepted: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            reasons: Mutex::new(BTreeMap::new()),
            requests: AtomicU64::new(0),
            latencies: Mutex::new(Latencies::default()),
        })
    }

    fn result(&self, name: &str, elapsed: Duration, offered: Option<f64>) -> PhaseResult {
        let seconds = elapsed.as_secs_f64();
        PhaseResult {
            name: name.to_owned(),
            seconds,
            offered_per_second: offered,
            requests: self.requests.load(Ordering::Relaxed),
            accepted_per_second: self.accepted.load(Ordering::Relaxed) as f64 / seconds,
            errors: self.errors.load(Ordering::Relaxed),
            error_reasons: self.reasons.lock().expect("not poisoned").clone(),
            latency: self.latencies.lock().expect("not poisoned").summary(),
            drained_after_seconds: None,
            pipeline_events_per_second: BTreeMap::new(),
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(512).timeout(Duration::from_secs(60)).build().expect("a client")
}

/// Why a request failed, short enough to count.
async fn refusal(response: reqwest::Response) -> String {
    let status = response.status().as_u16();
    let code = response.json::<Value>().await.ok().and_then(|b| b["error"]["code"].as_str().map(str::to_owned));
    format!("HTTP {status} {}", code.unwrap_or_default()).trim_end().to_owned()
}

fn failed(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "client timeout".to_owned()
    } else {
        "connection failed".to_owned()
    }
}

/// Sends one request of the traffic; the number of commands accepted.
async fn send(http: &reqwest::Client, target: &Target, request: &Request) -> Result<u64, String> {
    let (_, answer) = match request {
        Request::Chat(message) => post(http, target, "/v1/chat/messages", message, "").await?,
        Request::Clip(clip) => post(http, target, "/v1/clips", clip, "").await?,
    };
    Ok(answer.get("accepted").and_then(Value::as_u64).unwrap_or(1))
}

/// Posts a command; when the 202 came, and its body. A refusal is reported
/// after `refused_as`.
async fn post(
    http: &reqwest::Client,
    target: &Target,
    path: &str,
    body: &impl Serialize,
    refused_as: &str,
) -> Result<(Instant, Value), String> {
    let response = http
        .post(format!("{}{path}", target.command_api))
        .bearer_auth(&target.write_token)
        .json(body)
        .send()
        .await
        .map_err(failed)?;
    let accepted_at = Instant::now();
    if response.status() != reqwest::StatusCode::ACCEPTED {
        return Err(format!("{refused_as}{}", refusal(response).await));
    }
    Ok((accepted_at, response.json().await.map_err(failed)?))
}

/// Single requests: at `rate` per second, or flat out with `clients`.
pub async fn single(
    target: &Target,
    shape: TrafficShape,
    seconds: u64,
    rate: Option<u64>,
    clients: usize,
) -> PhaseResult {
    let http = client();
    let tally = Tally::new();
    let traffic = Arc::new(Mutex::new(Traffic::new(shape, seed())));
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    match rate {
        Some(rate) => {
            let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
            let in_flight = Arc::new(AtomicU64::new(0));
            let mut tasks = tokio::task::JoinSet::new();
            let mut due = started;
            while due < end {
                tokio::time::sleep_until(due.into()).await;
                let request = traffic.lock().expect("not poisoned").next_request();
                tally.requests.fetch_add(1, Ordering::Relaxed);
                if in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
                    record(&tally, Err("not sent: too many in flight".to_owned()), Duration::ZERO);
                } else {
                    in_flight.fetch_add(1, Ordering::Relaxed);
                    let (http, target, tally, in_flight) =
                        (http.clone(), target.clone(), tally.clone(), in_flight.clone());
                    let scheduled = due;
                    tasks.spawn(async move {
                        let outcome = send(&http, &target, &request).await;
                        record(&tally, outcome, scheduled.elapsed());
                        in_flight.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                due += interval;
                while tasks.try_join_next().is_some() {}
            }
            while tasks.join_next().await.is_some() {}
        }
        None => {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..clients.max(1) {
                let (http, target, tally, traffic) = (http.clone(), target.clone(), tally.clone(), traffic.clone());
                tasks.spawn(async move {
                    while Instant::now() < end {
                        let request = traffic.lock().expect("not poisoned").next_request();
                        tally.requests.fetch_add(1, Ordering::Relaxed);
                        let sent = Instant::now();
                        let outcome = send(&http, &target, &request).await;
                        record(&tally, outcome, sent.elapsed());
                    }
                });
            }
            while tasks.join_next().await.is_some() {}
        }
    }
    tally.result("single", started.elapsed(), rate.map(|r| r as f64))
}

/// Batches of `size` messages, flat out with `clients`.
pub async fn batch(target: &Target, shape: TrafficShape, seconds: u64, size: usize, clients: usize) -> PhaseResult {
    let http = client();
    let tally = Tally::new();
    let traffic = Arc::new(Mutex::new(Traffic::new(shape, seed())));
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let (http, target, tally, traffic) = (http.clone(), target.clone(), tally.clone(), traffic.clone());
        tasks.spawn(async move {
            while Instant::now() < end {
                let body = traffic.lock().expect("not poisoned").batch(size);
                tally.requests.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let outcome = send(&http, &target, &Request::Chat(body)).await;
                record(&tally, outcome, sent.elapsed());
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    tally.result("batch", started.elapsed(), None)
}

/// Open loop: a request every `batch / rate` seconds (`rate` counts
/// messages) for as long as `more(due)` says, each spawned so that a slow
/// answer never delays the next; then waits for all of them.
pub(crate) async fn paced<F>(
    rate: u64,
    batch: usize,
    mut more: impl FnMut(Instant) -> bool,
    mut request: impl FnMut() -> F,
) where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let interval = Duration::from_secs_f64(batch.max(1) as f64 / rate.max(1) as f64);
    let mut tasks = tokio::task::JoinSet::new();
    let mut due = Instant::now();
    while more(due) {
        tokio::time::sleep_until(due.into()).await;
        tasks.spawn(request());
        due += interval;
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Batches of `batch` messages at `rate` messages per second (open loop,
/// not waiting for answers) until `stop` is set.
pub async fn paced_batches(
    target: &Target,
    shape: TrafficShape,
    rate: u64,
    batch: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> PhaseResult {
    let http = client();
    let tally = Tally::new();
    let mut traffic = Traffic::new(shape, seed());
    let batch = batch.max(1);
    let started = Instant::now();
    paced(
        rate,
        batch,
        |_| !stop.load(Ordering::Relaxed),
        || {
            let body = traffic.batch(batch);
            let (http, target, tally) = (http.clone(), target.clone(), tally.clone());
            tally.requests.fetch_add(1, Ordering::Relaxed);
            async move {
                let sent = Instant::now();
                let outcome = send(&http, &target, &Request::Chat(body)).await;
                record(&tally, outcome, sent.elapsed());
            }
        },
    )
    .await;
    tally.result(&format!("batches of {batch} at {rate} msg/s"), started.elapsed(), Some(rate as f64))
}

/// Posts at `rate` per second, each followed by a leaderboard read that
/// waits for it: command accepted → visible in the query API.
pub async fn visibility(target: &Target, shape: TrafficShape, seconds: u64, rate: u64, batch: usize) -> PhaseResult {
    let http = client();
    let tally = Tally::new();
    let mut traffic = Traffic::new(shape, seed());
    let batch = batch.max(1);
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    paced(
        rate,
        batch,
        |due| due < end,
        || {
            let messages: Vec<ChatMessageBody> = (0..batch).map(|_| traffic.next_message()).collect();
            let (http, target, tally) = (http.clone(), target.clone(), tally.clone());
            tally.requests.fetch_add(1, Ordering::Relaxed);
            async move {
                let seen = if batch == 1 {
                    visible(&http, &target, &messages[0]).await
                } else {
                    visible_batch(&http, &target, messages).await
                };
                match seen {
                    Ok(latency) => record(&tally, Ok(batch as u64), latency),
                    Err(why) => record(&tally, Err(why), Duration::ZERO),
                }
            }
        },
    )
    .await;
    let name = if batch == 1 { "visibility".to_owned() } else { format!("visibility, batches of {batch}") };
    tally.result(&name, started.elapsed(), Some(rate as f64))
}

/// Waits until everything accepted so far is visible: a probe message is
/// posted and read back with read-your-writes (the relay ships in commit
/// order, so the probe is behind every earlier event). The time it took.
pub async fn settle(target: &Target, limit: Duration) -> Result<Duration, String> {
    let http = client();
    let probe = Traffic::new(TrafficShape::default(), seed()).next_message();
    let started = Instant::now();
    while started.elapsed() < limit {
        match visible(&http, target, &probe).await {
            Ok(_) => return Ok(started.elapsed()),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    Err(format!("the pipeline did not drain within {limit:?}"))
}

/// From the 202 to the query's 200.
async fn visible(http: &reqwest::Client, target: &Target, message: &ChatMessageBody) -> Result<Duration, String> {
    let (accepted_at, answer) = post_chat(http, target, message).await?;
    read_back(http, target, message, &answer).await?;
    Ok(accepted_at.elapsed())
}

/// Posts chat for a visibility phase, where a refusal is the command's.
async fn post_chat(http: &reqwest::Client, target: &Target, body: &impl Serialize) -> Result<(Instant, Value), String> {
    post(http, target, "/v1/chat/messages", body, "command: ").await
}

/// A batch, from its 202 until its last message reads back. (The batch
/// commits as one transaction, which the relay ships in one piece; the
/// projections may still apply its messages a batch of theirs apart.)
async fn visible_batch(
    http: &reqwest::Client,
    target: &Target,
    messages: Vec<ChatMessageBody>,
) -> Result<Duration, String> {
    let batch = BatchPost { messages };
    let (accepted_at, answer) = post_chat(http, target, &batch).await?;
    let (Some(last), Some(result)) = (batch.messages.last(), answer["results"].as_array().and_then(|r| r.last()))
    else {
        return Err("command: no results in the answer".to_owned());
    };
    read_back(http, target, last, result).await?;
    Ok(accepted_at.elapsed())
}

/// Reads the message's channel leaderboard, waiting for the sequence the
/// command API answered with.
async fn read_back(
    http: &reqwest::Client,
    target: &Target,
    message: &ChatMessageBody,
    answer: &Value,
) -> Result<(), String> {
    let (Some(aggregate), Some(sequence)) = (answer["aggregate_id"].as_str(), answer["sequence"].as_u64()) else {
        return Err("command: no aggregate id or sequence in the answer".to_owned());
    };
    let channel = &message.channel;
    let read = http
        .get(format!("{}/v1/channels/{channel}/leaderboard", target.query_api))
        .bearer_auth(&target.read_token)
        .query(&[
            ("aggregate_id", aggregate),
            ("min_sequence", &sequence.to_string()),
            ("wait_ms", "30000"),
            ("limit", "1"),
        ])
        .send()
        .await
        .map_err(failed)?;
    if !read.status().is_success() {
        return Err(format!("read: {}", refusal(read).await));
    }
    Ok(())
}

fn record(tally: &Tally, outcome: Result<u64, String>, latency: Duration) {
    match outcome {
        Ok(accepted) => {
            tally.accepted.fetch_add(accepted, Ordering::Relaxed);
            tally.latencies.lock().expect("not poisoned").record(latency);
        }
        Err(why) => {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            *tally.reasons.lock().expect("not poisoned").entry(why).or_default() += 1;
        }
    }
}

/// A different seed per phase and run, so message ids never repeat.
pub(crate) fn seed() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64
}
