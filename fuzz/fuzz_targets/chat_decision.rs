//! The whole chat decision over arbitrary text and settings: a channel
//! configured with arbitrary filters, ladder, prefix and a command defined
//! with Nightbot's syntax; then arbitrary messages and moderators' actions
//! resolved, rendered and decided by the viewer's stream, as the API does.
//!
//! Run (see BENCHMARKS.md): `cargo +nightly fuzz run chat_decision -- -runs=1000000`
//! from `fuzz/`.
//!
//! Besides not panicking, it checks what must hold for any input: refused
//! settings change nothing; moderators and the broadcaster are never
//! moderated; a moderated message earns nothing and runs nothing; the same
//! command on the same state decides the same (a replay decides the same).

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wavestack_domain::channel::nightbot::{parse_manage, ManageRequest};
use wavestack_domain::channel::{ChannelCommand, ChannelState, RenderContext, ResponseTemplate, Target};
use wavestack_domain::chat::{
    parse_invocation_with, ChatCommand, ChatEvent, ChatState, ModerateViewer, PointsPolicy, ReceiveChatMessage, Viewer,
};
use wavestack_domain::moderation::{
    ActionKind, Escalation, FilterKind, FilterRule, FilterSettings, ModerationRules, ModeratorAction, Penalty,
};
use wavestack_domain::value::{
    ActorId, ChannelId, ChatPlatform, ChatText, CommandPrefix, DisplayName, MessageId, PlatformUserId, Role,
    Timestamp, UserLevel,
};
use wavestack_domain::Decider;

#[derive(Debug, Arbitrary)]
struct Filter {
    kind: u8,
    enabled: bool,
    exempt: Vec<u8>,
    first: u32,
    second: u32,
    third: u32,
    words: Vec<String>,
    patterns: Vec<String>,
}

#[derive(Debug, Arbitrary)]
struct Message {
    text: String,
    level: u8,
    emotes: u32,
    after_ms: u16,
    /// A moderator's action on the viewer before the message.
    action: Option<(u8, u32, String)>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    filters: Vec<Filter>,
    ladder: Vec<(u8, u32)>,
    strike_expiry_seconds: u32,
    prefix: String,
    manage: String,
    messages: Vec<Message>,
    count: u64,
    points: u64,
}

fn pick<T: Copy>(all: &[T], n: u8) -> T {
    all[usize::from(n) % all.len()]
}

fn filter(f: Filter) -> FilterSettings {
    let rule = match pick(FilterKind::ALL, f.kind) {
        FilterKind::Caps => FilterRule::Caps { min_length: f.first, max_percent: f.second },
        FilterKind::Symbols => FilterRule::Symbols { min_length: f.first, max_percent: f.second },
        FilterKind::Links => FilterRule::Links { allowed_domains: f.words },
        FilterKind::BannedTerms => FilterRule::BannedTerms { terms: f.words, patterns: f.patterns },
        FilterKind::Repetition => FilterRule::Repetition {
            max_char_run: f.first,
            max_word_repeats: f.second,
            same_message_seconds: f.third,
        },
        FilterKind::Emotes => FilterRule::Emotes { max_emotes: f.first, max_mentions: f.second },
        FilterKind::Length => FilterRule::Length { max_length: f.first },
        FilterKind::Flood => FilterRule::Flood { max_messages: f.first, per_seconds: f.second },
    };
    let exempt = f.exempt.iter().map(|n| pick(UserLevel::ALL, *n)).collect();
    FilterSettings { enabled: f.enabled, exempt, rule }
}

/// Decides `command` on the channel; a refusal must leave it as it was.
fn configure(channel: &mut ChannelState, command: ChannelCommand) {
    let before = channel.version();
    match channel.decide(command.clone(), &()) {
        Ok(events) => {
            assert_eq!(channel.decide(command, &()).ok(), Some(events.clone()), "the same settings decide the same");
            for event in &events {
                channel.evolve(event);
            }
        }
        Err(_) => assert_eq!(channel.version(), before),
    }
}

fuzz_target!(|input: Input| {
    let mut channel = ChannelState::default();
    for f in input.filters.into_iter().take(8) {
        configure(&mut channel, ChannelCommand::SetFilter(filter(f)));
    }
    let ladder = input
        .ladder
        .iter()
        .take(12)
        .map(|(action, seconds)| Penalty { action: pick(ActionKind::ALL, *action), seconds: *seconds })
        .collect();
    let escalation = Escalation { ladder, strike_expiry_seconds: input.strike_expiry_seconds };
    configure(&mut channel, ChannelCommand::SetEscalation(escalation));
    if let Ok(prefix) = CommandPrefix::parse(input.prefix) {
        configure(&mut channel, ChannelCommand::SetPrefix(prefix));
    }
    match parse_manage(&input.manage) {
        Ok(ManageRequest::Add(definition)) => configure(&mut channel, ChannelCommand::AddCommand(definition)),
        Ok(ManageRequest::Edit(edit)) => configure(&mut channel, ChannelCommand::EditCommand(edit)),
        Ok(ManageRequest::Delete(name)) => configure(&mut channel, ChannelCommand::DeleteCommand { name }),
        Ok(ManageRequest::List) | Err(_) => {}
    }
    // A template of the text itself, rendered as a command would be.
    if let Ok(template) = ResponseTemplate::parse(input.manage.as_str()) {
        let context =
            RenderContext { user: "Viewer", query: &input.manage, count: input.count, points: input.points, channel: "c", seed: input.count };
        let rendered = template.render(&context);
        assert_eq!(rendered, template.render(&context), "rendering is deterministic");
    }

    let rules = ModerationRules::compile(channel.moderation());
    let viewer = Viewer {
        platform: ChatPlatform::Twitch,
        channel: ChannelId::parse("channel").unwrap(),
        user_id: PlatformUserId::parse("viewer").unwrap(),
    };
    let mut state = ChatState::default();
    let mut at = Timestamp::from_unix_micros(1_800_000_000_000_000).unwrap();
    for (n, message) in input.messages.into_iter().take(32).enumerate() {
        at = at.plus(time::Duration::milliseconds(i64::from(message.after_ms)));
        if let Some((action, seconds, reason)) = message.action {
            let command = ChatCommand::Moderate(ModerateViewer {
                action: pick(ModeratorAction::ALL, action),
                seconds,
                reason,
                by: ActorId::parse("twitch:mod").unwrap(),
                message_id: None,
                at,
            });
            decide(&mut state, command);
        }
        let Ok(text) = ChatText::parse(message.text.as_str()) else { continue };
        let resolved = channel.resolve(text.as_str());
        if let Some(resolved) = &resolved {
            if let Target::Custom(definition) = &resolved.target {
                let context = RenderContext {
                    user: "Viewer",
                    query: &resolved.args,
                    count: input.count,
                    points: input.points,
                    channel: "channel",
                    seed: n as u64,
                };
                let _ = definition.response.render(&context);
            }
        }
        let level = pick(UserLevel::ALL, message.level);
        let command = ChatCommand::ReceiveChatMessage(ReceiveChatMessage {
            viewer: viewer.clone(),
            message_id: MessageId::parse(format!("m{n}")).unwrap(),
            author: DisplayName::parse("Viewer").unwrap(),
            role: Role::Viewer,
            text: text.clone(),
            sent_at: at,
            points: PointsPolicy::default(),
            invocation: parse_invocation_with(channel.prefix().as_str(), text.as_str()),
            points_request: None,
            level,
            emotes: message.emotes,
            moderation: rules.clone(),
        });
        let events = decide(&mut state, command);
        let moderated = events.iter().any(|e| matches!(e, ChatEvent::MessageModerated(_)));
        if level >= UserLevel::Moderator {
            assert!(!moderated, "moderators are never moderated: {events:?}");
        }
        if moderated {
            let earned = events.iter().any(|e| {
                matches!(e, ChatEvent::PointsAwarded(_) | ChatEvent::ChatCommandInvoked(_) | ChatEvent::PointsSpent(_))
            });
            assert!(!earned, "a moderated message earns nothing and runs nothing: {events:?}");
        }
    }
});

/// Decides twice on the same state (a replay must decide the same), then applies.
fn decide(state: &mut ChatState, command: ChatCommand) -> Vec<ChatEvent> {
    let first = state.decide(command.clone(), &());
    assert_eq!(first, state.decide(command, &()), "the same command on the same state decides the same");
    let events = first.unwrap_or_default();
    for event in &events {
        state.evolve(event);
    }
    events
}
