//! `wavestack bench --scenario moderation`: chat at a fixed rate (single
//! posts, open loop) in two phases of the same run: the channels with no
//! filters (the baseline), then with every filter on, 200 banned terms and
//! 20 regular expressions, and a share of spam. Reported: POST → `202`
//! latency of each phase; the chat decision timed in-process on the very
//! messages of the filtered phase, with and without the filters, and its
//! share of the command latency; and adversarial messages (nested
//! combining marks, zero-width joiners, text crafted for backtracking),
//! each timed in-process (worst of many runs) and over HTTP.

use std::collections::HashMap;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;
use wavestack_api_types::chat::ChatMessageBody;
use wavestack_domain::chat::{
    parse_invocation, ChatCommand, ChatEvent, ChatState, PointsPolicy, ReceiveChatMessage, Viewer,
};
use wavestack_domain::moderation::{Escalation, FilterRule, FilterSettings, ModerationRules, ModerationSettings};
use wavestack_domain::value::{ChannelId, ChatPlatform, ChatText, DisplayName, MessageId, PlatformUserId, Role};
use wavestack_domain::value::{Timestamp, UserLevel};
use wavestack_domain::Decider;

use crate::bot::{phase, BotPhase};
use crate::latency::{Latencies, Summary};
use crate::phases::{client, Target};
use crate::traffic::{Traffic, TrafficShape};

#[derive(Debug, Clone)]
pub struct ModerationConfig {
    pub seconds: u64,
    /// Chat messages per second.
    pub rate: u64,
    /// Messages per POST (1: single posts, as a bot forwards chat).
    pub batch: usize,
    /// Share of messages that are spam of some kind in both phases.
    pub spam_share: f64,
    pub command_share: f64,
    pub channels: u64,
    pub viewers: u64,
    /// A token with `channels:write`, to configure the filters.
    pub manager_token: String,
}

/// The chat decision timed in-process on the filtered phase's messages.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub messages: u64,
    /// With every filter on: what the API decided.
    pub filtered: Summary,
    /// The same messages with no filter: the rest of the decision.
    pub unfiltered: Summary,
    /// The decisions of one POST's messages (`filtered` × batch) over the
    /// filtered phase's POST → `202` latency, p50 and p99: an upper bound
    /// for a batch, whose messages are decided side by side.
    pub share_p50: f64,
    pub share_p99: f64,
    /// The filters' own cost (filtered − unfiltered) over the latency.
    pub filters_share_p50: f64,
    pub filters_share_p99: f64,
    /// Compiling the channel's rules (terms' automaton, patterns): what
    /// the API pays once per channel settings' version, on a cache miss.
    pub compile: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Adversarial {
    pub name: String,
    pub chars: usize,
    /// What the filters decided (`clean` or the filter).
    pub verdict: String,
    /// In-process, over `runs` decisions.
    pub runs: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub worst_us: f64,
    /// One POST of it to the filtered stack.
    pub http_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModerationReport {
    pub started_at: String,
    pub rate: u64,
    pub batch: usize,
    pub seconds: u64,
    pub terms: usize,
    pub patterns: usize,
    pub baseline: BotPhase,
    pub filtered: BotPhase,
    pub decision: Decision,
    pub adversarial: Vec<Adversarial>,
    /// The worst in-process time of any adversarial message, in µs.
    pub adversarial_worst_us: f64,
}

/// 200 banned terms: words and phrases, some accented.
fn terms() -> Vec<String> {
    const STEMS: [&str; 20] = [
        "buy followers",
        "cheap viewers",
        "free vbucks",
        "crypto giveaway",
        "nudes",
        "scam",
        "idiot",
        "loser",
        "trash streamer",
        "uninstall",
        "café spam",
        "naïve bot",
        "follow4follow",
        "sub4sub",
        "get rich",
        "casino bonus",
        "promo code",
        "onlyfans",
        "kys",
        "doxx",
    ];
    (0..200).map(|n| if n < 20 { STEMS[n].to_owned() } else { format!("{} {n}", STEMS[n % 20]) }).collect()
}

/// 20 patterns, among them the textbook catastrophic-backtracking shapes:
/// the `regex` crate decides each in time linear in the text.
fn patterns() -> Vec<String> {
    [
        r"(a+)+$",
        r"(a|aa)+b",
        r"(\w+\s?)+!$",
        r"^(([a-z])+\.)+[0-9]([a-z])+$",
        r"(x+x+)+y",
        r"(.*a){8}",
        r"b+u+y+\s*f+o+l+l+o+w",
        r"\bf+r+e+e+\s*v+b+u+c+k+s*\b",
        r"\d{3}[-.\s]?\d{3}[-.\s]?\d{4}",
        r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}",
        r"discord\s*(\.|dot)\s*gg",
        r"bit\s*(\.|dot)\s*ly",
        r"(?:s+\W*){2,}p+\W*a+\W*m+",
        r"\b(?:n\W*){2,}o+\b",
        r"(?:ha){20,}",
        r"(?:[a-z]\p{M}*){8,}\d{3}",
        r"(?:\u{200d}\p{So}){5,}",
        r"[\p{Han}\p{Hiragana}]{30,}",
        r"^(?:[^aeiou\s]{12,})$",
        r"(?:w[^a-z]*){3}[^a-z]*[a-z]+[^a-z]*(?:com|net|org)",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// Every filter on, thresholds a lively channel would choose.
fn rules() -> Vec<FilterRule> {
    vec![
        FilterRule::BannedTerms { terms: terms(), patterns: patterns() },
        FilterRule::Links { allowed_domains: vec!["clips.twitch.tv".into(), "youtube.com".into()] },
        FilterRule::Flood { max_messages: 20, per_seconds: 10 },
        FilterRule::Length { max_length: 300 },
        FilterRule::Caps { min_length: 8, max_percent: 70 },
        FilterRule::Symbols { min_length: 10, max_percent: 50 },
        FilterRule::Repetition { max_char_run: 10, max_word_repeats: 5, same_message_seconds: 30 },
        FilterRule::Emotes { max_emotes: 10, max_mentions: 5 },
    ]
}

fn settings() -> ModerationSettings {
    settings_of(rules())
}

/// Every filter, and no length limit short of a chat message's 500
/// characters: an adversarial message meets every filter.
fn adversarial_settings() -> ModerationSettings {
    let mut rules = rules();
    for rule in &mut rules {
        if let FilterRule::Length { max_length } = rule {
            *max_length = 500;
        }
    }
    settings_of(rules)
}

fn settings_of(rules: Vec<FilterRule>) -> ModerationSettings {
    rules.into_iter().fold(ModerationSettings::default().with_escalation(Escalation::default()), |s, rule| {
        s.with_filter(FilterSettings { enabled: true, exempt: Vec::new(), rule })
    })
}

/// Spam of every kind, for the share of messages that are not chat.
const SPAM: [&str; 10] = [
    "BUY FOLLOWERS AT spam.example/cheap",
    "free vbucks here",
    "WHY IS NOBODY TALKING TO ME",
    "check out my stream at twitch dot tv slash me",
    "!!!!!!!!!!!!!!!!!!!!!!???",
    "gggggggggggggggggggggggg",
    "@a @b @c @d @e @f @g hi",
    "you are a total loser",
    "hxxp://bit.ly/abc",
    "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉 party",
];

/// The adversarial messages: each at most 500 characters.
fn adversarial() -> Vec<(&'static str, String)> {
    let combining: String = (0..100).map(|n| format!("a{}", char::from_u32(0x0301 + n % 100).unwrap())).collect();
    let nested: String = std::iter::repeat_n("e\u{0301}\u{0323}\u{0308}\u{0304}", 100).collect();
    let zwj: String = std::iter::repeat_n("👨\u{200d}👩\u{200d}👧\u{200d}", 83).collect();
    let invisible: String = std::iter::repeat_n("b\u{200b}u\u{200c}y\u{2060} ", 62).collect();
    vec![
        ("nested combining marks", nested.chars().take(500).collect()),
        ("a letter under 100 different marks", combining.chars().take(500).collect()),
        ("zero-width joiners", zwj.chars().take(500).collect()),
        ("invisible characters between letters", invisible.chars().take(500).collect()),
        ("backtracking bait (a+)+$", format!("{}!", "a".repeat(499))),
        ("backtracking bait (.*a){8}", "ab".repeat(250)),
        ("backtracking bait (\\w+\\s?)+!$", format!("{}?", "word ".repeat(99))),
        ("dots everywhere", "a.".repeat(250)),
        ("spelled-out dots", "x dot ".repeat(83)),
        ("full-width text", "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ ".repeat(26).chars().take(500).collect()),
        ("mentions", "@someone ".repeat(55)),
        ("term prefixes", "buy follow cheap view free vbuck ".repeat(15)),
    ]
}

pub async fn run(target: &Target, config: ModerationConfig) -> anyhow::Result<ModerationReport> {
    let started_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let shape = TrafficShape {
        channels: config.channels,
        viewers: config.viewers,
        command_share: config.command_share,
        clip_every: 0,
        // Chat people write: varied, and no one viewer a flood of its own
        // (with the pipeline's skew of 1.1 the chattiest viewer alone sends
        // a tenth of 1,000 msg/s, which any flood filter bans at once).
        skew: 0.3,
        sentences: true,
    };
    let mut spam_rng = StdRng::seed_from_u64(crate::phases::seed());
    let spam_share = config.spam_share;
    let mut spammy = move |traffic: &mut Traffic| {
        let mut message = traffic.next_message();
        if spam_rng.gen_bool(spam_share) {
            message.text = SPAM[spam_rng.gen_range(0..SPAM.len())].into();
        }
        message
    };

    let mut plain = Traffic::new(shape.clone(), crate::phases::seed());
    let baseline =
        phase(target, "no filters (baseline)", config.rate, config.seconds, config.batch, || spammy(&mut plain)).await;

    configure(target, &config).await?;
    let mut filtered_traffic = Traffic::new(shape, crate::phases::seed());
    let mut sent: Vec<(ChatMessageBody, Instant)> = Vec::new();
    let filtered = phase(target, "every filter on", config.rate, config.seconds, config.batch, || {
        let message = spammy(&mut filtered_traffic);
        sent.push((message.clone(), Instant::now()));
        message
    })
    .await;

    let decision = time_decisions(&sent, &filtered.latency, config.batch);
    let adversarial = time_adversarial(target).await?;
    let adversarial_worst_us = adversarial.iter().map(|a| a.worst_us).fold(0.0, f64::max);
    Ok(ModerationReport {
        started_at,
        rate: config.rate,
        batch: config.batch,
        seconds: config.seconds,
        terms: terms().len(),
        patterns: patterns().len(),
        baseline,
        filtered,
        decision,
        adversarial,
        adversarial_worst_us,
    })
}

/// Every filter on in every channel, over the API the streamer uses.
async fn configure(target: &Target, config: &ModerationConfig) -> anyhow::Result<()> {
    let http = client();
    for channel in 0..config.channels {
        for rule in rules() {
            let mut body = serde_json::to_value(&rule)?;
            let fields = body.as_object_mut().expect("a rule is an object");
            fields.remove("filter");
            fields.insert("enabled".into(), json!(true));
            let url = format!("{}/v1/channels/twitch/channel{channel}/filters/{}", target.command_api, rule.kind());
            let answer = http.put(url).bearer_auth(&config.manager_token).json(&body).send().await?;
            anyhow::ensure!(answer.status().as_u16() == 202, "setting {}: {}", rule.kind(), answer.text().await?);
        }
    }
    Ok(())
}

/// The chat aggregate's decision for `text` from a viewer whose stream is `state`.
fn command(viewer: &Viewer, id: u64, text: &str, at: Timestamp, rules: &ModerationRules) -> Option<ChatCommand> {
    Some(ChatCommand::ReceiveChatMessage(ReceiveChatMessage {
        viewer: viewer.clone(),
        message_id: MessageId::parse(format!("bench-{id}")).ok()?,
        author: DisplayName::parse("Viewer").ok()?,
        role: Role::Viewer,
        text: ChatText::parse(text).ok()?,
        sent_at: at,
        points: PointsPolicy::default(),
        invocation: parse_invocation(text),
        points_request: None,
        level: UserLevel::Everyone,
        emotes: 0,
        moderation: rules.clone(),
    }))
}

fn viewer(channel: &str, user: &str) -> Option<Viewer> {
    Some(Viewer {
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse(channel).ok()?,
        user_id: PlatformUserId::parse(user).ok()?,
    })
}

/// Decides every message of the filtered phase again, in order, with each
/// viewer's stream kept as the API keeps it; once with the filters, once
/// without. Only `decide` is timed.
fn time_decisions(sent: &[(ChatMessageBody, Instant)], latency: &Summary, batch: usize) -> Decision {
    let origin = sent.first().map_or_else(Instant::now, |(_, at)| *at);
    let start = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    let time_with = |rules: &ModerationRules| {
        let mut states: HashMap<String, ChatState> = HashMap::new();
        let mut latencies = Latencies::fine();
        for (n, (message, at)) in sent.iter().enumerate() {
            let (channel, user) = (message.channel.as_str(), message.user_id.as_str());
            let Some(viewer) = viewer(channel, user) else { continue };
            let sent_at = start.plus(time::Duration::try_from(at.duration_since(origin)).unwrap_or_default());
            let Some(command) = command(&viewer, n as u64, &message.text, sent_at, rules) else {
                continue;
            };
            let state = states.entry(format!("{channel}/{user}")).or_default();
            let began = Instant::now();
            let events = state.decide(command, &());
            latencies.record(began.elapsed());
            for event in events.iter().flatten() {
                state.evolve(event);
            }
        }
        latencies.summary()
    };
    let mut compile = Latencies::fine();
    for _ in 0..20 {
        let began = Instant::now();
        let rules = ModerationRules::compile(&settings());
        compile.record(began.elapsed());
        drop(rules);
    }
    let filtered = time_with(&ModerationRules::compile(&settings()));
    let unfiltered = time_with(&ModerationRules::default());
    let share = |part: f64, whole: f64| if whole > 0.0 { part * batch as f64 / whole } else { 0.0 };
    Decision {
        messages: filtered.count,
        share_p50: share(filtered.p50_ms, latency.p50_ms),
        share_p99: share(filtered.p99_ms, latency.p99_ms),
        filters_share_p50: share((filtered.p50_ms - unfiltered.p50_ms).max(0.0), latency.p50_ms),
        filters_share_p99: share((filtered.p99_ms - unfiltered.p99_ms).max(0.0), latency.p99_ms),
        filtered,
        unfiltered,
        compile: compile.summary(),
    }
}

/// Runs of each adversarial message in-process.
const ADVERSARIAL_RUNS: u64 = 2_000;

async fn time_adversarial(target: &Target) -> anyhow::Result<Vec<Adversarial>> {
    let rules = ModerationRules::compile(&adversarial_settings());
    let http = client();
    let Some(who) = viewer("channel0", "adversary") else { anyhow::bail!("the adversary's ids are valid") };
    let mut results = Vec::new();
    for (n, (name, text)) in adversarial().into_iter().enumerate() {
        let mut latencies = Latencies::fine();
        let mut verdict = "clean".to_owned();
        for run in 0..ADVERSARIAL_RUNS {
            let at = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
            let Some(command) = command(&who, run, &text, at, &rules) else {
                anyhow::bail!("{name} is not a valid chat message")
            };
            let state = ChatState::default();
            let began = Instant::now();
            let events = state.decide(command, &());
            latencies.record(began.elapsed());
            for event in events.iter().flatten() {
                if let ChatEvent::MessageModerated(m) = event {
                    verdict = m.cause.to_string();
                }
            }
        }
        let summary = latencies.summary();
        // Over HTTP, each from a viewer of its own (no flood or repetition
        // from the ones before).
        let message = ChatMessageBody {
            platform: "twitch".into(),
            channel: "channel0".into(),
            user_id: format!("adversary-{n}"),
            message_id: format!("adversarial-{}-{n}", crate::phases::seed()),
            author: "Adversary".into(),
            role: None,
            text: text.clone(),
            sent_at: None,
            emotes: None,
        };
        let began = Instant::now();
        let answer = http
            .post(format!("{}/v1/chat/messages", target.command_api))
            .bearer_auth(&target.write_token)
            .json(&message)
            .send()
            .await?;
        let http_ms = began.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(answer.status().as_u16() == 202, "{name}: {}", answer.text().await?);
        results.push(Adversarial {
            name: name.to_owned(),
            chars: text.chars().count(),
            verdict,
            runs: ADVERSARIAL_RUNS,
            p50_us: summary.p50_ms * 1000.0,
            p99_us: summary.p99_ms * 1000.0,
            worst_us: summary.max_ms * 1000.0,
            http_ms,
        });
    }
    Ok(results)
}

impl ModerationReport {
    pub fn table(&self) -> String {
        let row = |p: &BotPhase| {
            format!(
                "| {} | {:.0} msg/s | {} | {:.2} / {:.2} ms | {} |\n",
                p.name, p.accepted_per_second, p.errors, p.latency.p50_ms, p.latency.p99_ms, p.actions
            )
        };
        let d = &self.decision;
        let mut adversarial = String::new();
        for a in &self.adversarial {
            adversarial.push_str(&format!(
                "| {} | {} | {} | {:.1} µs | {:.1} µs | {:.1} µs | {:.2} ms |\n",
                a.name, a.chars, a.verdict, a.p50_us, a.p99_us, a.worst_us, a.http_ms
            ));
        }
        format!(
            "# Moderation, {}\n\n{} msg/s in posts of {} for {} s per phase; {} banned terms, {} regular expressions, \
             every filter on in the second phase.\n\n\
             | phase | accepted | errors | POST → 202: p50 / p99 | actions |\n|---|---|---|---|---|\n{}{}\n\
             The chat decision of the filtered phase's {} messages, in-process: with every filter {:.2} / {:.2} µs \
             (p50 / p99), with none {:.2} / {:.2} µs. Share of the POST → 202 latency: **{:.2}% / {:.2}%** \
             (the filters' own part {:.2}% / {:.2}%). Compiling a channel's rules (once per settings \
             version, cached): {:.2} ms p50, {:.2} ms worst of 20.\n\n\
             Adversarial messages, decided with the length limit at 500 so that each meets every filter:\n\n\
             | adversarial message | chars | verdict | in-process p50 | p99 | worst of {} | over HTTP |\n\
             |---|---|---|---|---|---|---|\n{}\n\
             Worst in-process decision of an adversarial message: **{:.1} µs**.\n",
            self.started_at,
            self.rate,
            self.batch,
            self.seconds,
            self.terms,
            self.patterns,
            row(&self.baseline),
            row(&self.filtered),
            d.messages,
            d.filtered.p50_ms * 1000.0,
            d.filtered.p99_ms * 1000.0,
            d.unfiltered.p50_ms * 1000.0,
            d.unfiltered.p99_ms * 1000.0,
            d.share_p50 * 100.0,
            d.share_p99 * 100.0,
            d.filters_share_p50 * 100.0,
            d.filters_share_p99 * 100.0,
            d.compile.p50_ms,
            d.compile.max_ms,
            ADVERSARIAL_RUNS,
            adversarial,
            self.adversarial_worst_us,
        )
    }
}

#[cfg(test)]
mod tests {
    use wavestack_domain::moderation::FilterKind;

    use super::*;

    #[test]
    fn the_bench_settings_are_valid_and_every_filter_is_on() {
        let settings = settings();
        for kind in FilterKind::ALL {
            let filter = settings.filter(*kind);
            assert!(filter.enabled, "{kind}");
            if let Err(refused) = filter.checked() {
                panic!("{kind}: {refused:?}");
            }
        }
        assert_eq!((terms().len(), patterns().len()), (200, 20));
    }

    #[test]
    fn adversarial_messages_are_chat_messages_and_spam_is_caught() {
        let rules = ModerationRules::compile(&settings());
        let who = viewer("channel0", "adversary").unwrap();
        for (name, text) in adversarial() {
            assert!(text.chars().count() <= 500, "{name}");
            assert!(command(&who, 1, &text, Timestamp::from_unix_micros(0).unwrap(), &rules).is_some(), "{name}");
        }
        // Ordinary chat passes: the filters are a lively channel's, not a wall.
        let shape =
            TrafficShape { sentences: true, skew: 0.3, command_share: 0.1, clip_every: 0, ..TrafficShape::default() };
        let mut traffic = Traffic::new(shape, 7);
        let mut states: HashMap<String, ChatState> = HashMap::new();
        let mut moderated = 0;
        for n in 0..2_000 {
            let message = traffic.next_message();
            let who = viewer(&message.channel, &message.user_id).unwrap();
            let at = Timestamp::from_unix_micros(1_800_000_000_000_000 + n * 1_000).unwrap();
            let command = command(&who, n as u64, &message.text, at, &rules).unwrap();
            let state = states.entry(format!("{}/{}", message.channel, message.user_id)).or_default();
            for event in state.decide(command, &()).unwrap() {
                moderated += u32::from(matches!(event, ChatEvent::MessageModerated(_)));
                state.evolve(&event);
            }
        }
        assert!(moderated < 100, "{moderated} of 2,000 ordinary messages moderated");
        for spam in SPAM {
            let command = command(&who, 1, spam, Timestamp::from_unix_micros(0).unwrap(), &rules).unwrap();
            let events = ChatState::default().decide(command, &()).unwrap();
            let moderated = events.iter().any(|e| matches!(e, ChatEvent::MessageModerated(_)));
            assert!(moderated, "{spam}");
        }
    }
}
