//! `wavestack bench --scenario bot`: the bot answering chat. Single posts
//! (as a bot forwards chat) at a fixed rate, open loop, in two phases of
//! the same run: plain chat (the baseline), then the same rate with a share
//! of `!commands` that the bot answers in the `202` (custom commands with
//! and without cooldowns, `!points`, `!clip`). Reported: p50/p99 from the
//! POST to the `202` carrying the reply, for command messages and for all,
//! and the accepted rate against the baseline's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use wavestack_api_types::channels::CommandBody;
use wavestack_api_types::chat::{BatchPost, ChatAnswer, ChatMessageBody, ChatPost, MessageResult};

use crate::latency::{Latencies, Summary};
use crate::phases::{client, paced, Target};
use crate::traffic::{Traffic, TrafficShape};

#[derive(Debug, Clone)]
pub struct BotConfig {
    pub seconds: u64,
    /// Chat messages per second (one POST each).
    pub rate: u64,
    /// Share of messages that are commands in the second phase.
    pub command_share: f64,
    pub channels: u64,
    pub viewers: u64,
    /// A token with `channels:write`, to define the commands.
    pub manager_token: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BotPhase {
    pub name: String,
    pub offered_per_second: f64,
    pub accepted_per_second: f64,
    pub errors: u64,
    /// POST to `202`, every message.
    pub latency: Summary,
    /// POST to `202`, messages that invoked a command: the reply's latency.
    pub command_latency: Summary,
    pub commands_sent: u64,
    pub replies: u64,
    /// Moderation actions the `202`s asked of the gateway.
    pub actions: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BotReport {
    pub started_at: String,
    pub rate: u64,
    pub seconds: u64,
    pub baseline: BotPhase,
    pub bot: BotPhase,
    /// The bot phase's accepted rate over the baseline's.
    pub accepted_ratio: f64,
}

/// The custom commands every bench channel gets: a cheap one, one on a
/// global cooldown (most uses refused), one with a variable per use.
const DEFINITIONS: [(&str, &str, u32); 3] = [
    ("!lurk", "$(user) is lurking, thanks for the view", 0),
    ("!so", "Go follow $(touser)! (#$(count))", 30),
    ("!uptime", "$(channel) has been live for $(random 1-300) minutes", 0),
];

pub async fn run(target: &Target, config: BotConfig) -> anyhow::Result<BotReport> {
    let started_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let http = client();
    for channel in 0..config.channels {
        for (name, response, cooldown) in DEFINITIONS {
            let url = format!("{}/v1/channels/twitch/channel{channel}/commands", target.command_api);
            let body = CommandBody {
                name: name.into(),
                response: response.into(),
                alias_of: None,
                min_level: None,
                cooldown_seconds: Some(cooldown),
                user_cooldown_seconds: None,
                cost: None,
                enabled: None,
            };
            let answer = http.post(url).bearer_auth(&config.manager_token).json(&body).send().await?;
            anyhow::ensure!(answer.status().as_u16() == 202, "defining {name}: {}", answer.status());
        }
    }
    let shape = |command_share| TrafficShape {
        channels: config.channels,
        viewers: config.viewers,
        command_share,
        clip_every: 0,
        ..TrafficShape::default()
    };
    let mut plain = Traffic::new(shape(0.0), crate::phases::seed());
    let baseline =
        phase(target, "plain chat (baseline)", config.rate, config.seconds, 1, || plain.next_message()).await;
    let mut commands = Traffic::new(shape(config.command_share), crate::phases::seed());
    let bot = phase(target, "chat with commands", config.rate, config.seconds, 1, || commands.next_message()).await;
    let accepted_ratio = bot.accepted_per_second / baseline.accepted_per_second.max(f64::MIN_POSITIVE);
    Ok(BotReport { started_at, rate: config.rate, seconds: config.seconds, baseline, bot, accepted_ratio })
}

#[derive(Default)]
struct Tally {
    accepted: AtomicU64,
    errors: AtomicU64,
    commands: AtomicU64,
    replies: AtomicU64,
    actions: AtomicU64,
    latency: Mutex<Latencies>,
    command_latency: Mutex<Latencies>,
}

/// Chat of `next_message` at `rate` messages/s for `seconds`, open loop:
/// single posts, or `{"messages": [...]}` of `batch` (each message of a
/// batch counts the batch's latency).
pub async fn phase(
    target: &Target,
    name: &str,
    rate: u64,
    seconds: u64,
    batch: usize,
    mut next_message: impl FnMut() -> ChatMessageBody,
) -> BotPhase {
    let batch = batch.max(1);
    let http = client();
    let tally = Arc::new(Tally::default());
    let end = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    paced(
        rate,
        batch,
        |due| due < end,
        || {
            let messages: Vec<ChatMessageBody> = (0..batch).map(|_| next_message()).collect();
            let (http, target, tally) = (http.clone(), target.clone(), tally.clone());
            async move {
                let commands = messages.iter().filter(|m| m.text.starts_with('!'));
                let commands = commands.count() as u64;
                let message = if batch == 1 {
                    ChatPost::Single(messages[0].clone())
                } else {
                    ChatPost::Batch(BatchPost { messages })
                };
                let sent = Instant::now();
                let answer = http
                    .post(format!("{}/v1/chat/messages", target.command_api))
                    .bearer_auth(&target.write_token)
                    .json(&message)
                    .send()
                    .await;
                let body: Option<ChatAnswer> = match answer {
                    Ok(response) if response.status().as_u16() == 202 => response.json().await.ok(),
                    _ => None,
                };
                let took = sent.elapsed();
                let Some(body) = body else {
                    tally.errors.fetch_add(batch as u64, Ordering::Relaxed);
                    return;
                };
                // A single post's answer, or each message's in a batch's `results`.
                let (actions, replies) = match body {
                    ChatAnswer::Single(heard) => (heard.actions.len(), heard.replies.len()),
                    ChatAnswer::Batch(batch) => {
                        batch.results.iter().fold((0, 0), |(actions, replies), result| match result {
                            MessageResult::Accepted(fields) | MessageResult::Duplicate(fields) => {
                                (actions + fields.actions.len(), replies + fields.replies.len())
                            }
                            MessageResult::Refused { .. } | MessageResult::Failed { .. } => (actions, replies),
                        })
                    }
                };
                tally.accepted.fetch_add(batch as u64, Ordering::Relaxed);
                tally.actions.fetch_add(actions as u64, Ordering::Relaxed);
                tally.replies.fetch_add(replies as u64, Ordering::Relaxed);
                tally.latency.lock().expect("not poisoned").record_n(took, batch as u64);
                if commands > 0 {
                    tally.commands.fetch_add(commands, Ordering::Relaxed);
                    tally.command_latency.lock().expect("not poisoned").record_n(took, commands);
                }
            }
        },
    )
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let latency = tally.latency.lock().expect("not poisoned").summary();
    let command_latency = tally.command_latency.lock().expect("not poisoned").summary();
    BotPhase {
        name: name.to_owned(),
        offered_per_second: rate as f64,
        accepted_per_second: tally.accepted.load(Ordering::Relaxed) as f64 / seconds,
        errors: tally.errors.load(Ordering::Relaxed),
        latency,
        command_latency,
        commands_sent: tally.commands.load(Ordering::Relaxed),
        replies: tally.replies.load(Ordering::Relaxed),
        actions: tally.actions.load(Ordering::Relaxed),
    }
}

impl BotReport {
    pub fn table(&self) -> String {
        let row = |p: &BotPhase| {
            format!(
                "| {} | {:.0} msg/s | {} | {:.1} / {:.1} ms | {} | {:.1} / {:.1} ms | {} |\n",
                p.name,
                p.accepted_per_second,
                p.errors,
                p.latency.p50_ms,
                p.latency.p99_ms,
                p.commands_sent,
                p.command_latency.p50_ms,
                p.command_latency.p99_ms,
                p.replies
            )
        };
        format!(
            "# The bot answering chat, {}\n\n{} single posts/s for {} s per phase.\n\n\
             | phase | accepted | errors | all: p50 / p99 | commands | POST → reply in the 202: p50 / p99 | replies |\n\
             |---|---|---|---|---|---|---|\n{}{}\n\
             Accepted rate with commands over the plain-chat baseline: **{:.2}**.\n",
            self.started_at,
            self.rate,
            self.seconds,
            row(&self.baseline),
            row(&self.bot),
            self.accepted_ratio
        )
    }
}
