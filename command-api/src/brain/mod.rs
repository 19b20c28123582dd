//! The bot's brain: what a chat message makes the bot decide and say.
//!
//! In the order DESIGN.md gives: the channel's settings (read fresh, their
//! version recorded on every decision) resolve the message to a built-in, a
//! custom command or nothing; the viewer's stream moderates the message
//! (the channel's filters over the viewer's own history: a moderated
//! message earns nothing and runs nothing, and its action goes back to the
//! bot), records it, awards points under the channel's policy and takes
//! what the command asks of the viewer's points; then the command's own
//! stream decides the use (level, cooldowns, count, text) and records the
//! reply. A price whose use
//! was refused is refunded, and a gift is credited, at once here and again,
//! exactly once, by the `points-settler` process manager from the log.

mod actions;
mod builtins;
mod lookup;
pub(crate) mod moderators;
mod rules_cache;

pub(crate) use actions::{action_of, Action};
pub(crate) use rules_cache::RulesCache;

use std::collections::HashMap;

use serde::Serialize;
use wavestack_adapters::command_bus::{Accepted, Written};
use wavestack_adapters::http::ApiError;
use wavestack_adapters::points_settlement;
use wavestack_domain::channel::{ChannelState, Resolved, Target};
use wavestack_domain::chat::{ChatCommand, ChatEvent, Invocation, PointsRequest, ReceiveChatMessage};
use wavestack_domain::chat_command::{CommandUse, CommandUseEvent, Invoker, UseCommand};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::ModerationRules;
use wavestack_domain::value::{Builtin, ChannelId, ChannelStreamId, ChatPlatform, CommandUseStreamId, UserLevel};

use crate::command_error::command_error;
use crate::community;
use crate::state::AppState;

/// Something the bot should post, in answer to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct Reply {
    pub text: String,
    /// The platform message it answers.
    pub in_reply_to: String,
    /// The command, as invoked; `moderation` for a filter's warning.
    pub command: String,
}

/// Something only the author should see (a link code): the gateway
/// whispers it where the platform can, or sends it privately. Never
/// recorded, so it reaches neither the log nor the bots' feed: only this
/// answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub(crate) struct Whisper {
    pub to_user_id: String,
    pub text: String,
    pub in_reply_to: String,
}

/// What a filter's warning is filed under, where a reply names its command.
pub(crate) const MODERATION_REPLY: &str = "moderation";

/// A message written, and what the bot says and does about it.
#[derive(Debug)]
pub(crate) struct Heard {
    pub accepted: Accepted,
    pub replies: Vec<Reply>,
    pub actions: Vec<Action>,
    pub whispers: Vec<Whisper>,
}

/// What answering a message came to.
#[derive(Debug, Default)]
struct Said {
    replies: Vec<Reply>,
    actions: Vec<Action>,
    whispers: Vec<Whisper>,
}

/// What one message asks, worked out before anything is written.
struct Plan {
    resolved: Option<Resolved>,
    level: UserLevel,
    settings_version: u64,
    /// A built-in's arguments that could not be understood: the reply.
    unusable: Option<String>,
    /// The settings, kept for the community built-ins (which giveaway or
    /// poll runs here).
    settings: Option<ChannelState>,
}

/// Records the messages (each viewer's in the order given) and answers
/// them. One outcome per message, in the order given.
pub(crate) async fn hear(
    state: &AppState,
    metadata: &EventMetadata,
    mut messages: Vec<ReceiveChatMessage>,
) -> Vec<Result<Heard, ApiError>> {
    let mut channels: HashMap<(ChatPlatform, ChannelId), (ChannelState, ModerationRules)> = HashMap::new();
    for m in &messages {
        let key = (m.viewer.platform, m.viewer.channel.clone());
        if channels.contains_key(&key) {
            continue;
        }
        let stream = ChannelStreamId::new(&metadata.org, key.0, &key.1);
        match state.bus.channel.load(stream.as_str()).await {
            Ok(settings) => {
                let rules = state.moderation_rules.rules(&stream, &settings).await;
                channels.insert(key, (settings, rules));
            }
            Err(error) => {
                let error = command_error(error);
                return messages.iter().map(|_| Err(error.clone())).collect();
            }
        }
    }
    let mut plans = Vec::with_capacity(messages.len());
    for m in &mut messages {
        let (settings, rules) = &channels[&(m.viewer.platform, m.viewer.channel.clone())];
        m.moderation = rules.clone();
        plans.push(plan(state, metadata, settings, m).await);
    }
    // One write for every viewer's messages, each viewer's in order.
    let mut streams: Vec<(String, Vec<ChatCommand>)> = Vec::new();
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut place = Vec::with_capacity(messages.len());
    for m in &messages {
        let id = m.viewer.stream_id(&metadata.org).to_string();
        let slot = *slots.entry(id.clone()).or_insert_with(|| {
            streams.push((id, Vec::new()));
            streams.len() - 1
        });
        place.push((slot, streams[slot].1.len()));
        streams[slot].1.push(ChatCommand::ReceiveChatMessage(m.clone()));
    }
    let mut written: Vec<Vec<Option<_>>> = state
        .bus
        .chat
        .execute_batch_written(streams, metadata)
        .await
        .into_iter()
        .map(|outcomes| outcomes.into_iter().map(Some).collect())
        .collect();
    let mut heard = Vec::with_capacity(messages.len());
    for ((m, plan), (slot, index)) in messages.iter().zip(plans).zip(place) {
        let outcome = written[slot][index].take().expect("one outcome per message");
        heard.push(match outcome {
            Err(error) => Err(command_error(error)),
            Ok(Written { accepted, events }) => {
                let stream = m.viewer.stream_id(&metadata.org);
                let mut said = Said {
                    replies: events.iter().filter_map(|e| warning(m, e)).collect(),
                    actions: events.iter().filter_map(|e| action_of(&stream, e)).collect(),
                    whispers: Vec::new(),
                };
                let moderated = events.iter().any(|e| matches!(e, ChatEvent::MessageModerated(_)));
                if !events.is_empty() && !moderated {
                    match answer(state, metadata, m, plan, &events).await {
                        Ok(answered) => {
                            said.replies.extend(answered.replies);
                            said.actions.extend(answered.actions);
                            said.whispers.extend(answered.whispers);
                        }
                        // The message is recorded; the points settler finishes
                        // what the answer left (a refund, a credit).
                        Err(error) => {
                            tracing::warn!(error = %error, "answering a chat command failed; its message is recorded")
                        }
                    }
                }
                Ok(Heard { accepted, replies: said.replies, actions: said.actions, whispers: said.whispers })
            }
        });
    }
    heard
}

/// A filter's warning to the viewer, as a reply to the message.
fn warning(m: &ReceiveChatMessage, event: &ChatEvent) -> Option<Reply> {
    match event {
        ChatEvent::MessageModerated(e) if !e.reply.is_empty() => Some(Reply {
            text: m.viewer.platform.fit_message(&e.reply),
            in_reply_to: m.message_id.to_string(),
            command: MODERATION_REPLY.to_owned(),
        }),
        _ => None,
    }
}

/// Fills in what the channel's settings make of the message.
async fn plan(state: &AppState, metadata: &EventMetadata, settings: &ChannelState, m: &mut ReceiveChatMessage) -> Plan {
    let level = UserLevel::of(m.role, settings.is_regular(&m.viewer.user_id));
    m.level = level;
    m.points = *settings.points();
    let resolved = settings.resolve(m.text.as_str());
    let mut unusable = None;
    if let Some(r) = &resolved {
        m.invocation = Some(Invocation {
            name: match &r.target {
                Target::Builtin(builtin) => builtin.as_str().to_owned(),
                Target::Custom(_) => r.invoked.as_str().to_owned(),
            },
            args: r.args.clone(),
        });
        m.points_request = match &r.target {
            Target::Custom(d) if d.cost > 0 && level >= r.min_level => {
                Some(PointsRequest::Spend { command: d.name.clone(), cost: d.cost })
            }
            Target::Builtin(Builtin::Daily) => Some(PointsRequest::Daily),
            Target::Builtin(Builtin::Join) => {
                match community::giveaways::entry_price(state, metadata, settings, m, level).await {
                    Ok(price) => price.map(|(giveaway, cost)| PointsRequest::Enter { giveaway, cost }),
                    // The entry decides without a price; the giveaway refuses or takes it.
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "pricing a giveaway entry");
                        None
                    }
                }
            }
            Target::Builtin(Builtin::Give) => match builtins::gift(state, metadata, m, &r.args).await {
                Ok(request) => Some(request),
                Err(reply) => {
                    unusable = Some(reply);
                    None
                }
            },
            _ => None,
        };
    }
    let community = matches!(&resolved, Some(Resolved { target: Target::Builtin(b), .. }) if b.is_newer());
    Plan {
        resolved,
        level,
        settings_version: settings.version(),
        unusable,
        settings: community.then(|| settings.clone()),
    }
}

/// Decides the use of the command the message invoked, and settles its
/// points; the replies to post and, for a moderator's command, the actions.
async fn answer(
    state: &AppState,
    metadata: &EventMetadata,
    m: &ReceiveChatMessage,
    plan: Plan,
    events: &[ChatEvent],
) -> anyhow::Result<Said> {
    let Some(resolved) = plan.resolved else { return Ok(Said::default()) };
    let mut actions = Vec::new();
    let mut whispers = Vec::new();
    let moderators_action = match &resolved.target {
        Target::Builtin(builtin) => moderators::moderator_action(*builtin),
        Target::Custom(_) => None,
    };
    let prepared = match moderators_action {
        Some(action) => {
            let (prepared, acted) = moderators::from_chat(state, metadata, m, action, &resolved, plan.level).await?;
            actions = acted;
            prepared
        }
        None => match &plan.settings {
            Some(settings) => {
                let (prepared, whispered) =
                    community::chat::prepare(state, metadata, settings, m, &resolved, plan.level, events).await?;
                whispers = whispered;
                prepared
            }
            None => match builtins::prepare(state, metadata, m, &resolved, plan.level, plan.unusable, events).await? {
                Some(prepared) => prepared,
                None => return Ok(Said::default()),
            },
        },
    };
    let invoker = Invoker {
        message_id: m.message_id.clone(),
        platform: m.viewer.platform,
        channel: m.viewer.channel.clone(),
        user_id: m.viewer.user_id.clone(),
        author: m.author.clone(),
    };
    let stream = CommandUseStreamId::new(&metadata.org, m.viewer.platform, &m.viewer.channel, &resolved.use_key());
    let decide = CommandUse::Decide(UseCommand {
        invoker,
        command: resolved.invoked.clone(),
        level: plan.level,
        settings_version: plan.settings_version,
        at: m.sent_at,
        prepared,
    });
    let decided = state.bus.command_use.execute_written(stream.as_str(), decide, metadata).await;
    let decided = decided.map_err(|e| anyhow::anyhow!("deciding the use: {}", wavestack_adapters::error_chain(&e)))?;
    let chat_stream = m.viewer.stream_id(&metadata.org);
    // The fast path of the settlements; the points settler repeats them.
    for event in events {
        match event {
            // Decided just now: a refusal gives the price back. (Nothing
            // written means the settler abandoned the use first; it refunds.)
            ChatEvent::PointsSpent(spent) => {
                let refused = decided.events.iter().any(|e| matches!(e, CommandUseEvent::CommandRefused(_)));
                if refused {
                    points_settlement::refund_spend(&state.bus, &chat_stream, &spent.message_id, metadata).await?;
                }
            }
            ChatEvent::PointsSent(sent) => {
                points_settlement::credit_transfer(&state.bus, &chat_stream, sent, m.sent_at, metadata).await?;
            }
            _ => {}
        }
    }
    let replies = decided
        .events
        .iter()
        .filter_map(|e| e.reply())
        .filter(|text| !text.is_empty())
        .map(|text| Reply {
            text: text.to_owned(),
            in_reply_to: m.message_id.to_string(),
            command: resolved.invoked.to_string(),
        })
        .collect();
    Ok(Said { replies, actions, whispers })
}
