//! Hearing a chat message: what it makes the bot decide, say and do.
//!
//! In the order DESIGN.md gives: the channel's settings (read fresh, their
//! version recorded on every decision) resolve the message to a built-in, a
//! custom command or nothing; the viewer's stream moderates the message
//! (the channel's filters over the viewer's own history: a moderated
//! message earns nothing and runs nothing, and its action goes back to the
//! bot), records it, awards points under the channel's policy and takes
//! what the command asks of the viewer's points; then the command's own
//! stream decides the use (level, cooldowns, count, text) and records the
//! reply. A price whose use was refused is refunded, and a gift is
//! credited, at once here and again, exactly once, by the `points-settler`
//! process manager from the log.

mod actions;
mod rules_cache;
mod said;

pub use actions::{action_of, Action};
pub(crate) use rules_cache::RulesCache;
pub use said::{Heard, Reply, Whisper, MODERATION_REPLY};

use std::collections::HashMap;

use tokio::sync::OnceCell;
use wavestack_adapters::command_bus::{CommandError, StoreError, Written};
use wavestack_domain::channel::{Asker, ChannelError, ChannelState, Resolved, Target};
use wavestack_domain::chat::{ChatCommand, ChatError, ChatEvent, Invocation, ReceiveChatMessage};
use wavestack_domain::chat_command::{CommandUse, CommandUseEvent, Invoker, Prepared, RefusalReason, UseCommand};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::ModerationRules;
use wavestack_domain::value::{
    Account, Builtin, ChannelId, ChannelStreamId, ChatPlatform, ChatText, CommandUseStreamId, UserLevel,
};

use crate::builtins::{self, Answered, Asked};
use crate::settlement::{self, points};
use crate::App;

/// What one message asks, worked out before anything is written.
struct Plan {
    resolved: Option<Resolved>,
    level: UserLevel,
    /// A built-in's arguments that could not be understood: the reply.
    unusable: Option<String>,
    /// The person the author is, looked up at most once per message.
    person: OnceCell<Account>,
}

/// What hearing a batch comes to: one outcome per message.
type Hearing = Result<Vec<Result<Heard, CommandError<ChatError>>>, CommandError<ChannelError>>;

/// Records the messages (each viewer's in the order given) and answers
/// them: one outcome per message, in the order given. A channel whose
/// settings cannot be read fails them all, before anything is written.
///
/// The work runs as a task of its own: a caller that goes away (a client
/// that hung up) does not cut a price off from its use, which the
/// settlers would wait for as long as this process runs. A panic mid-way
/// lets go of the writer lease, handing what it left to the settlers.
pub async fn hear(app: &App, metadata: &EventMetadata, messages: Vec<ReceiveChatMessage>) -> Hearing {
    let (task_app, metadata) = (app.clone(), metadata.clone());
    match tokio::spawn(async move { hear_here(&task_app, &metadata, messages).await }).await {
        Ok(hearing) => hearing,
        Err(error) => {
            tracing::error!(error = %error, "hearing chat failed mid-way; the settlers finish what it left");
            app.bus.writer().let_go();
            Err(CommandError::Store(StoreError::NoOutcome))
        }
    }
}

async fn hear_here(app: &App, metadata: &EventMetadata, mut messages: Vec<ReceiveChatMessage>) -> Hearing {
    // Each channel's settings read, and its filters looked up, once per call.
    let mut channels: HashMap<(ChatPlatform, ChannelId), (ChannelState, ModerationRules)> = HashMap::new();
    let mut plans = Vec::with_capacity(messages.len());
    for m in &mut messages {
        let key = (m.viewer.platform, m.viewer.channel.clone());
        if !channels.contains_key(&key) {
            let stream = ChannelStreamId::new(&metadata.org, key.0, &key.1);
            let settings = app.bus.channel.load(stream.as_str()).await?;
            let rules = app.moderation_rules.rules(&stream, &settings).await;
            channels.insert(key.clone(), (settings, rules));
        }
        let (settings, rules) = &channels[&key];
        m.moderation = rules.clone();
        plans.push(plan(app, metadata, settings, m).await);
    }
    let written = write(app, metadata, &messages).await;
    let mut heard = Vec::with_capacity(messages.len());
    for ((m, plan), outcome) in messages.iter().zip(plans).zip(written) {
        let (settings, _) = &channels[&(m.viewer.platform, m.viewer.channel.clone())];
        heard.push(match outcome {
            Err(error) => Err(error),
            Ok(Written { accepted, events }) => Ok(said(app, metadata, settings, m, plan, accepted, &events).await),
        });
    }
    Ok(heard)
}

/// One write for every viewer's messages, each viewer's in order; the
/// outcomes in the messages' order.
async fn write(
    app: &App,
    metadata: &EventMetadata,
    messages: &[ReceiveChatMessage],
) -> Vec<Result<Written<ChatEvent>, CommandError<ChatError>>> {
    let mut streams: Vec<(String, Vec<ChatCommand>)> = Vec::new();
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut place = Vec::with_capacity(messages.len());
    for m in messages {
        let id = m.viewer.stream_id(&metadata.org).to_string();
        let slot = *slots.entry(id.clone()).or_insert_with(|| {
            streams.push((id, Vec::new()));
            streams.len() - 1
        });
        place.push((slot, streams[slot].1.len()));
        streams[slot].1.push(ChatCommand::ReceiveChatMessage(m.clone()));
    }
    let mut written: Vec<Vec<Option<_>>> = app
        .bus
        .chat
        .execute_batch_written(streams, metadata)
        .await
        .into_iter()
        .map(|outcomes| outcomes.into_iter().map(Some).collect())
        .collect();
    place.into_iter().map(|(slot, index)| written[slot][index].take().expect("one outcome per message")).collect()
}

/// What the bot says and does about a message just written.
async fn said(
    app: &App,
    metadata: &EventMetadata,
    settings: &ChannelState,
    m: &ReceiveChatMessage,
    plan: Plan,
    accepted: wavestack_adapters::command_bus::Accepted,
    events: &[ChatEvent],
) -> Heard {
    let stream = m.viewer.stream_id(&metadata.org);
    let mut heard = Heard {
        accepted,
        replies: events.iter().filter_map(|e| warning(m, e)).collect(),
        actions: events.iter().filter_map(|e| action_of(&stream, e)).collect(),
        whispers: Vec::new(),
    };
    let moderated = events.iter().any(|e| matches!(e, ChatEvent::MessageModerated(_)));
    if !events.is_empty() && !moderated {
        match answer(app, metadata, settings, m, plan, events).await {
            Ok(answered) => {
                heard.replies.extend(answered.replies);
                heard.actions.extend(answered.actions);
                heard.whispers.extend(answered.whispers);
            }
            // The message is recorded; what the answer left (a price
            // without a decision, a credit) is finished here, in the
            // background, or by the settlers if this process stops.
            Err(error) => {
                tracing::warn!(error = %error, "answering a chat command failed; its message is recorded");
                settlement::finish_in_background(app, metadata, &stream, events, m.sent_at);
            }
        }
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
async fn plan(app: &App, metadata: &EventMetadata, settings: &ChannelState, m: &mut ReceiveChatMessage) -> Plan {
    let level = UserLevel::of(m.role, settings.is_regular(&m.viewer.user_id));
    m.level = level;
    m.points = *settings.points();
    let asker =
        Asker { user: m.author.as_str(), channel: m.viewer.channel.as_str(), message_id: m.message_id.as_str() };
    let resolved = settings.resolve(m.text.as_str(), asker);
    let person = OnceCell::new();
    let mut unusable = None;
    if let Some(r) = &resolved {
        if r.target == Target::Builtin(Builtin::Verify) {
            withhold_the_code(settings, r, m);
        }
        m.invocation = Some(Invocation {
            name: match &r.target {
                Target::Builtin(builtin) => builtin.as_str().to_owned(),
                Target::Custom(_) => r.invoked.as_str().to_owned(),
            },
            args: if r.target == Target::Builtin(Builtin::Verify) { WITHHELD.to_owned() } else { r.args.clone() },
        });
        m.points_request = match &r.target {
            Target::Custom(d) if d.cost > 0 && level >= r.min_level => {
                Some(wavestack_domain::chat::PointsRequest::Spend { command: d.name.clone(), cost: d.cost })
            }
            Target::Custom(_) => None,
            Target::Builtin(builtin) => {
                let asked = Asked { app, metadata, settings, message: m, resolved: r, level, person: &person };
                match builtins::points_request(*builtin, &asked).await {
                    Ok(request) => request,
                    Err(reply) => {
                        unusable = Some(reply);
                        None
                    }
                }
            }
        };
    }
    Plan { resolved, level, unusable, person }
}

/// What the log keeps of a text standing in for what was withheld.
const WITHHELD: &str = "(code withheld)";

/// A link code is a secret, like a password: what is recorded of
/// `!verify CODE` (its chat event, and so the log, the feeds and the
/// exports) is the command alone. The built-in reads the code from the
/// resolved message, which is never recorded.
fn withhold_the_code(settings: &ChannelState, r: &Resolved, m: &mut ReceiveChatMessage) {
    let recorded = format!("{}{} {WITHHELD}", settings.prefix(), r.invoked);
    if let Ok(text) = ChatText::parse(recorded) {
        m.text = text;
    }
}

/// Decides the use of the command the message invoked, and settles its
/// points; the replies to post and, for a moderator's command, the actions.
async fn answer(
    app: &App,
    metadata: &EventMetadata,
    settings: &ChannelState,
    m: &ReceiveChatMessage,
    plan: Plan,
    events: &[ChatEvent],
) -> anyhow::Result<Answered> {
    let Some(resolved) = &plan.resolved else { return Ok(Answered::default()) };
    let mut answered = match (&resolved.target, plan.unusable) {
        (_, Some(reply)) => Answered::decided(Prepared::Refuse {
            reason: RefusalReason::Invalid,
            detail: "arguments not understood".to_owned(),
            reply: Some(reply),
        }),
        (Target::Custom(definition), None) => {
            Answered::decided(builtins::custom::prepare(app, metadata, m, resolved, definition, events).await?)
        }
        (Target::Builtin(builtin), None) => {
            let asked =
                Asked { app, metadata, settings, message: m, resolved, level: plan.level, person: &plan.person };
            builtins::answer(*builtin, &asked, events).await?
        }
    };
    let Some(prepared) = answered.prepared.take() else { return Ok(answered) };
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
        settings_version: settings.version(),
        at: m.sent_at,
        prepared,
    });
    let decided = app.bus.command_use.execute_written(stream.as_str(), decide, metadata).await;
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
                    points::refund_spend(&app.bus, &chat_stream, &spent.message_id, spent.points, metadata).await?;
                }
            }
            ChatEvent::PointsSent(sent) => {
                points::credit_transfer(&app.bus, &chat_stream, sent, m.sent_at, metadata).await?;
            }
            _ => {}
        }
    }
    answered.replies = decided
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
    Ok(answered)
}
