//! `wavestack bench --scenario twitch`: the Twitch gateway against the fake
//! Twitch (Twitch itself cannot be reached from a benchmark), in the same
//! run as its HTTP baseline.
//!
//! - The HTTP baseline: single posts at the rate, as a bot of the
//!   streamer's own would forward chat.
//! - The gateway, once the baseline's events are relayed and projected:
//!   the same rate of chat said on the fake over the connected
//!   channels, a share of it `!points` (within chat's send limit, 100 per
//!   30 s per channel): the time from the fake sending the notification to
//!   the reply arriving on its Send Chat Message, and the rate the chat is
//!   recorded at.
//! - Memory: the stack's resident memory before and after a thousand more
//!   channels are connected (each an EventSub session of its own).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use sqlx::PgPool;
use wavestack_adapters::auth::KeyStore;
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::platform_auth::twitch::TwitchOAuth;
use wavestack_adapters::platform_connections::PlatformConnections;
use wavestack_app::connections::connect_twitch_with_code;
use wavestack_app::App;
use wavestack_bench::bot::BotPhase;
use wavestack_bench::latency::{Latencies, Summary};
use wavestack_bench::traffic::{Traffic, TrafficShape};
use wavestack_bench::Target;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, OrgId, Timestamp};
use wavestack_gateways::fakes::twitch::{Chatter, FakeTwitch};

pub(super) const CLIENT_ID: &str = "wavestack-bench";
pub(super) const CLIENT_SECRET: &str = "wavestack-bench-secret";
const REDIRECT: &str = "http://127.0.0.1:9/app/connections/twitch/callback";
/// Channels added for the memory measurement.
const MEMORY_CHANNELS: u64 = 1_000;

#[derive(Debug, Clone)]
pub(super) struct TwitchBenchConfig {
    pub seconds: u64,
    pub rate: u64,
    pub channels: u64,
    pub viewers: u64,
    /// `!points` per second per channel: within chat's send limit.
    pub commands_per_channel_second: f64,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct TwitchPhase {
    pub offered_per_second: f64,
    /// Chat recorded per second of the phase (counted in the store at its end).
    pub recorded_per_second: f64,
    /// All recorded, once the gateway drained.
    pub recorded: u64,
    pub said: u64,
    pub commands: u64,
    pub replies: u64,
    /// The fake's notification sent → the reply on its Send Chat Message.
    pub reply_latency: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Memory {
    pub before_mb: f64,
    pub after_mb: f64,
    pub channels_added: u64,
    pub per_thousand_channels_mb: f64,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct TwitchReport {
    pub started_at: String,
    pub rate: u64,
    pub seconds: u64,
    pub channels: u64,
    pub http_baseline: BotPhase,
    pub gateway: TwitchPhase,
    /// The gateway's recorded rate over the HTTP baseline's accepted rate.
    pub accepted_ratio: f64,
    pub memory: Option<Memory>,
}

/// The application the bench registers with the fake.
fn bench_oauth(fake: &FakeTwitch) -> anyhow::Result<TwitchOAuth> {
    Ok(TwitchOAuth::new(fake.id_url(), CLIENT_ID.into(), CLIENT_SECRET.into(), url::Url::parse(REDIRECT)?))
}

/// The bench's connected channels, as a broadcaster of the fake.
fn broadcaster(k: u64) -> (String, String) {
    (format!("{}", 500_000 + k), format!("channel{k}"))
}

/// What the dashboard's callback does, for one channel of the fake: the
/// code flow, then the connection recorded and its tokens sealed with the
/// deployment's secret.
pub async fn connect_through_fake(
    fake: &FakeTwitch,
    oauth: &TwitchOAuth,
    app: &App,
    store: &PlatformConnections,
    org: &OrgId,
    broadcaster_id: &str,
    login: &str,
) -> anyhow::Result<()> {
    fake.sign_in_as(broadcaster_id, login);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let consent = http.get(oauth.authorize_url("bench")).send().await?;
    let back = consent.headers().get("location").context("the fake's authorize page redirects")?.to_str()?;
    let back = url::Url::parse(back)?;
    let code = back.query_pairs().find(|(k, _)| k == "code").context("a code")?.1.into_owned();
    let metadata = EventMetadata::initiated(
        org.clone(),
        ActorId::parse("operator:bench")?,
        Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    );
    connect_twitch_with_code(app, store, oauth, &metadata, &code)
        .await
        .map_err(|refused| anyhow::anyhow!("{login} was not connected: {}", refused.code()))?;
    Ok(())
}

pub(super) struct Stage<'a> {
    pub fake: &'a FakeTwitch,
    pub target: &'a Target,
    pub database_url: &'a str,
    pub key_dir: std::path::PathBuf,
    pub pid: u32,
}

pub(super) async fn run(stage: Stage<'_>, config: TwitchBenchConfig) -> anyhow::Result<TwitchReport> {
    let started_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let pool = wavestack_adapters::postgres::connect(stage.database_url, 4).await?;
    let keys = KeyStore::open(&stage.key_dir)?;
    let store = PlatformConnections::new(pool.clone(), &keys.secret("platform-tokens")?);
    let app = App::new(pool.clone(), std::sync::Arc::new(CommandBus::new(pool.clone(), Policies::default())));
    let org = OrgId::parse("bench")?;
    let oauth = bench_oauth(stage.fake)?;
    for k in 0..config.channels {
        let (id, login) = broadcaster(k);
        connect_through_fake(stage.fake, &oauth, &app, &store, &org, &id, &login).await?;
    }
    wait_for_sessions(stage.fake, config.channels as usize).await?;

    let shape = TrafficShape {
        channels: config.channels,
        viewers: config.viewers,
        command_share: 0.0,
        clip_every: 0,
        ..TrafficShape::default()
    };
    let mut plain = Traffic::new(shape, 7);
    let http_baseline = wavestack_bench::bot::phase(
        stage.target,
        "HTTP single posts (baseline)",
        config.rate,
        config.seconds,
        1,
        || plain.next_message(),
    )
    .await;

    // The gateway's phase starts as the baseline's did: on a drained
    // pipeline, not behind the relay and projections still working off the
    // baseline's 15,000 events.
    let drained = wavestack_bench::phases::settle(stage.target, Duration::from_secs(300)).await;
    if let Err(error) = &drained {
        eprintln!("{error}; the gateway's phase starts anyway");
    }
    let gateway = gateway_phase(stage.fake, &pool, &config).await?;
    let accepted_ratio = gateway.recorded_per_second / http_baseline.accepted_per_second.max(f64::MIN_POSITIVE);

    let memory = measure_memory(stage.fake, &oauth, &app, &store, &org, stage.pid, config.channels).await;
    if let Err(error) = &memory {
        eprintln!("the memory measurement failed: {error:#}");
    }
    Ok(TwitchReport {
        started_at,
        rate: config.rate,
        seconds: config.seconds,
        channels: config.channels,
        http_baseline,
        gateway,
        accepted_ratio,
        memory: memory.ok(),
    })
}

async fn wait_for_sessions(fake: &FakeTwitch, count: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while fake.subscriptions().iter().filter(|s| s.status == "enabled").count() < count {
        anyhow::ensure!(Instant::now() < deadline, "{count} channels were not subscribed within 120 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn recorded(pool: &PgPool) -> anyhow::Result<u64> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'chat' AND event_type = 'ChatMessageReceived'
            AND starts_with(aggregate_id, 'bench/twitch/')",
    )
    .fetch_one(pool)
    .await?;
    Ok(count as u64)
}

/// Chat said on the fake at `rate`, round the channels, a share `!points`.
async fn gateway_phase(fake: &FakeTwitch, pool: &PgPool, config: &TwitchBenchConfig) -> anyhow::Result<TwitchPhase> {
    let before = recorded(pool).await?;
    let total = config.rate * config.seconds;
    let per_channel_rate = config.rate as f64 / config.channels as f64;
    // Every n-th message of a channel is a command.
    let command_every = (per_channel_rate / config.commands_per_channel_second).ceil().max(1.0) as u64;
    let interval = Duration::from_secs_f64(1.0 / config.rate as f64);
    let mut said_at: HashMap<String, Instant> = HashMap::new();
    let sent_before = fake.sent_count();
    let start = Instant::now();
    for n in 0..total {
        tokio::time::sleep_until((start + interval * n as u32).into()).await;
        let k = n % config.channels;
        let (id, login) = broadcaster(k);
        let viewer = 1_000 + (n * 7919) % config.viewers;
        let chatter = Chatter::viewer(&viewer.to_string(), &format!("viewer{viewer}"));
        // Each channel's every `command_every`-th message, staggered across
        // the channels, as commands come in a real chat.
        let is_command = (n / config.channels + k).is_multiple_of(command_every);
        let text = if is_command { "!points".to_owned() } else { format!("hello chat {n}") };
        let said = Instant::now();
        let message_id = fake.say(&id, &login, &chatter, &text);
        if is_command {
            said_at.insert(message_id, said);
        }
    }
    let phase = start.elapsed().as_secs_f64();
    let at_end = recorded(pool).await? - before;
    // Drain: the replies still within chat's send limit come in.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = fake.sent_count() - sent_before >= said_at.len() && recorded(pool).await? - before >= total;
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut latencies = Latencies::fine();
    let mut replies = 0;
    for sent in fake.sent().into_iter().skip(sent_before) {
        let Some(said) = sent.reply_parent_message_id.as_deref().and_then(|id| said_at.get(id)) else { continue };
        latencies.record(sent.received_at.saturating_duration_since(*said));
        replies += 1;
    }
    Ok(TwitchPhase {
        offered_per_second: total as f64 / phase,
        recorded_per_second: at_end as f64 / phase,
        recorded: recorded(pool).await? - before,
        said: total,
        commands: said_at.len() as u64,
        replies,
        reply_latency: latencies.summary(),
    })
}

async fn measure_memory(
    fake: &FakeTwitch,
    oauth: &TwitchOAuth,
    app: &App,
    store: &PlatformConnections,
    org: &OrgId,
    pid: u32,
    first: u64,
) -> anyhow::Result<Memory> {
    // Settled first: what the chat phase left in flight is done.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss = || wavestack_bench::process::rss_kb(pid).map(|kb| kb as f64 / 1024.0).context("reading /proc");
    let before_mb = rss()?;
    for k in first..first + MEMORY_CHANNELS {
        let (id, login) = broadcaster(k);
        connect_through_fake(fake, oauth, app, store, org, &id, &login).await?;
    }
    wait_for_sessions(fake, (first + MEMORY_CHANNELS) as usize).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_mb = rss()?;
    Ok(Memory {
        before_mb,
        after_mb,
        channels_added: MEMORY_CHANNELS,
        per_thousand_channels_mb: (after_mb - before_mb) * 1000.0 / MEMORY_CHANNELS as f64,
    })
}

impl TwitchReport {
    pub(super) fn table(&self) -> String {
        let l = &self.gateway.reply_latency;
        let memory = match &self.memory {
            Some(m) => format!(
                "Resident memory of the stack: {:.0} MB with {} channels, {:.0} MB with {} more: **{:.1} MB per 1,000 connected channels**.\n",
                m.before_mb, self.channels, m.after_mb, m.channels_added, m.per_thousand_channels_mb
            ),
            None => "Memory: not measured (see the log).\n".to_owned(),
        };
        format!(
            "# The Twitch gateway against the fake Twitch, {}\n\n{} msg/s for {} s over {} channels.\n\n\
             | | offered | accepted / recorded | errors |\n|---|---|---|---|\n\
             | HTTP single posts (baseline) | {:.0} msg/s | {:.0} msg/s | {} |\n\
             | chat heard through EventSub | {:.0} msg/s | {:.0} msg/s ({} of {} in all) | — |\n\n\
             Recorded rate over the HTTP baseline's: **{:.2}**.\n\n\
             `!points` said on the fake → the reply on its Send Chat Message: {} commands, {} replies, \
             p50 **{:.1} ms**, p90 {:.1} ms, p99 **{:.1} ms**, max {:.1} ms.\n\n{}",
            self.started_at,
            self.rate,
            self.seconds,
            self.channels,
            self.http_baseline.offered_per_second,
            self.http_baseline.accepted_per_second,
            self.http_baseline.errors,
            self.gateway.offered_per_second,
            self.gateway.recorded_per_second,
            self.gateway.recorded,
            self.gateway.said,
            self.accepted_ratio,
            self.gateway.commands,
            self.gateway.replies,
            l.p50_ms,
            l.p90_ms,
            l.p99_ms,
            l.max_ms,
            memory
        )
    }
}
