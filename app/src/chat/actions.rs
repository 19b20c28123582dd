//! What a bot's gateway does on the platform because of a moderation
//! event: platform-neutral `delete`, `timeout`, `ban` and `unban`. The same
//! shape in a message's `202`, in a moderator's `202` and on the bots' feed.

use wavestack_domain::chat::ChatEvent;
use wavestack_domain::value::ChatStreamId;

/// One thing for the gateway to execute: the wire type itself, so every
/// edge carries it as it is.
pub use wavestack_api_types::chat::Action;

/// The action an event of `stream` asks of the gateway, if any (a pardon, a
/// permit or a permit's use asks nothing of the platform).
pub fn action_of(stream: &ChatStreamId, event: &ChatEvent) -> Option<Action> {
    let base = |action: &str, message_id: Option<String>, seconds, reason: String, decided_by: String| Action {
        action: action.to_owned(),
        platform: stream.platform().to_string(),
        channel: stream.channel().to_string(),
        user_id: stream.user().to_string(),
        message_id,
        seconds,
        reason,
        decided_by,
    };
    match event {
        ChatEvent::MessageModerated(m) => Some(base(
            m.action.as_str(),
            Some(m.message_id.to_string()),
            m.seconds,
            format!("{}: {}", m.cause, m.evidence),
            "filter".to_owned(),
        )),
        ChatEvent::ModeratorActed(a) => {
            let action = a.action.platform_action()?;
            let reason = if a.reason.is_empty() { format!("{} by a moderator", a.action) } else { a.reason.clone() };
            Some(base(
                action.as_str(),
                a.message_id.as_ref().map(ToString::to_string),
                a.seconds,
                reason,
                a.by.to_string(),
            ))
        }
        _ => None,
    }
}
