//! Moderators' own actions: `!timeout @viewer [seconds] [reason]`, `!ban
//! @viewer [reason]`, `!unban @viewer`, `!pardon @viewer` and `!permit
//! @viewer [seconds]` from chat, and the same over HTTP. Each is an event
//! of the viewer's stream whose actor, and `by`, is the moderator.

use wavestack_adapters::command_bus::{CommandError, Written};
use wavestack_domain::channel::Resolved;
use wavestack_domain::chat::{default_seconds, ChatCommand, ChatError, ModerateViewer, ReceiveChatMessage, Viewer};
use wavestack_domain::chat_command::{Prepared, RefusalReason};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::moderation::ModeratorAction;
use wavestack_domain::value::{ActorId, Builtin, MessageId, Timestamp, UserLevel};

use super::actions::{action_of, Action};
use super::lookup;
use crate::state::AppState;

/// The action a built-in stands for, if it is a moderator's.
pub(crate) fn moderator_action(builtin: Builtin) -> Option<ModeratorAction> {
    match builtin {
        Builtin::Permit => Some(ModeratorAction::Permit),
        Builtin::Timeout => Some(ModeratorAction::Timeout),
        Builtin::Ban => Some(ModeratorAction::Ban),
        Builtin::Unban => Some(ModeratorAction::Unban),
        Builtin::Pardon => Some(ModeratorAction::Pardon),
        _ => None,
    }
}

/// A moderator's action written, and what the gateway should do.
pub(crate) struct Acted {
    pub written: Written<wavestack_domain::chat::ChatEvent>,
    pub actions: Vec<Action>,
}

/// What a moderator asked for; `seconds` falls back to the action's default.
pub(crate) struct Request {
    pub action: ModeratorAction,
    pub seconds: Option<u32>,
    pub reason: String,
    /// The moderator's chat message, when the action came from chat.
    pub message_id: Option<MessageId>,
    pub at: Timestamp,
}

/// Records the request on `viewer`'s stream; `metadata.actor` is the moderator.
pub(crate) async fn act(
    state: &AppState,
    metadata: &EventMetadata,
    viewer: &Viewer,
    request: Request,
) -> Result<Acted, CommandError<ChatError>> {
    let stream = viewer.stream_id(&metadata.org);
    let Request { action, seconds, reason, message_id, at } = request;
    let command = ChatCommand::Moderate(ModerateViewer {
        action,
        seconds: seconds.unwrap_or_else(|| default_seconds(action)),
        reason,
        by: metadata.actor.clone(),
        message_id,
        at,
    });
    let written = state.bus.chat.execute_written(stream.as_str(), command, metadata).await?;
    let actions = written.events.iter().filter_map(|e| action_of(&stream, e)).collect();
    Ok(Acted { written, actions })
}

/// A moderator's command from chat: what the command's stream records
/// (the reply), and the actions for the gateway.
pub(super) async fn from_chat(
    state: &AppState,
    metadata: &EventMetadata,
    m: &ReceiveChatMessage,
    action: ModeratorAction,
    resolved: &Resolved,
    level: UserLevel,
) -> anyhow::Result<(Prepared, Vec<Action>)> {
    let who = &m.author;
    let refuse = |reason, detail: &str, reply: Option<String>| {
        Ok((Prepared::Refuse { reason, detail: detail.to_owned(), reply }, Vec::new()))
    };
    if level < resolved.min_level {
        return refuse(RefusalReason::Level, "needs moderator", None);
    }
    let usage = match action {
        ModeratorAction::Timeout => "!timeout @viewer [seconds] [reason]",
        ModeratorAction::Ban => "!ban @viewer [reason]",
        ModeratorAction::Unban => "!unban @viewer",
        ModeratorAction::Pardon => "!pardon @viewer",
        ModeratorAction::Permit => "!permit @viewer [seconds]",
    };
    let mut words = resolved.args.split_whitespace();
    let Some(name) = words.next().map(|n| n.trim_start_matches('@')).filter(|n| !n.is_empty()) else {
        return refuse(RefusalReason::Invalid, "no viewer named", Some(format!("@{who}, usage: {usage}")));
    };
    let mut rest: Vec<&str> = words.collect();
    let takes_seconds = matches!(action, ModeratorAction::Timeout | ModeratorAction::Permit);
    let seconds = match rest.first().map(|w| w.parse::<u32>()) {
        Some(Ok(seconds)) if takes_seconds => {
            rest.remove(0);
            Some(seconds)
        }
        _ => None,
    };
    let reason = rest.join(" ");
    let found = lookup::viewer_named(&state.pool, &metadata.org, m.viewer.platform, &m.viewer.channel, name).await?;
    let Some(user_id) = found else {
        let reply = format!("@{who}, nobody called {name} has chatted here yet");
        return refuse(RefusalReason::Invalid, "unknown viewer", Some(reply));
    };
    let target = Viewer { user_id, ..m.viewer.clone() };
    let actor = ActorId::parse(format!("{}:{}", m.viewer.platform, m.viewer.user_id))?;
    let by_moderator = EventMetadata { actor, ..metadata.clone() };
    let request = Request { action, seconds, reason, message_id: Some(m.message_id.clone()), at: m.sent_at };
    let acted = act(state, &by_moderator, &target, request).await;
    let acted = match acted {
        Ok(acted) => acted,
        Err(CommandError::Rejected(refused)) => {
            return refuse(RefusalReason::Invalid, refused.code(), Some(format!("@{who}, {refused}")));
        }
        Err(error) => return Err(anyhow::anyhow!("{}", wavestack_adapters::error_chain(&error))),
    };
    let seconds = seconds.unwrap_or_else(|| default_seconds(action));
    let changed = !acted.written.events.is_empty();
    let reply = match (action, changed) {
        (ModeratorAction::Timeout, _) => format!("{name} is timed out for {seconds} s"),
        (ModeratorAction::Ban, true) => format!("{name} is banned"),
        (ModeratorAction::Ban, false) => format!("{name} was already banned"),
        (ModeratorAction::Unban, true) => format!("{name} is unbanned; their strikes are cleared"),
        (ModeratorAction::Unban, false) => format!("{name} is not banned"),
        (ModeratorAction::Pardon, true) => format!("{name}'s strikes are cleared"),
        (ModeratorAction::Pardon, false) => format!("{name} has no strikes"),
        (ModeratorAction::Permit, _) => format!("@{name}, you may post one link in the next {seconds} s"),
    };
    Ok((Prepared::Answer { reply }, acted.actions))
}
