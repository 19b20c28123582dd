//! The application layer's replies, actions and whispers as the API's
//! wire bodies (`wavestack-api-types`).

use wavestack_adapters::command_bus::Accepted;
use wavestack_api_types::chat as wire;
use wavestack_app::chat::{Action, Heard, Reply, Whisper};

pub(crate) fn reply(r: Reply) -> wire::Reply {
    wire::Reply { text: r.text, in_reply_to: r.in_reply_to, command: r.command }
}

pub(crate) fn whisper(w: Whisper) -> wire::Whisper {
    wire::Whisper { to_user_id: w.to_user_id, text: w.text, in_reply_to: w.in_reply_to }
}

pub(crate) fn action(a: Action) -> wire::Action {
    wire::Action {
        action: a.action,
        platform: a.platform,
        channel: a.channel,
        user_id: a.user_id,
        message_id: a.message_id,
        seconds: a.seconds,
        reason: a.reason,
        decided_by: a.decided_by,
    }
}

pub(crate) fn actions(actions: Vec<Action>) -> Vec<wire::Action> {
    actions.into_iter().map(action).collect()
}

/// A heard message on the wire: what was written, and the replies,
/// actions and whispers.
#[derive(Debug)]
pub(crate) struct WireHeard {
    pub(crate) accepted: Accepted,
    pub(crate) replies: Vec<wire::Reply>,
    pub(crate) actions: Vec<wire::Action>,
    pub(crate) whispers: Vec<wire::Whisper>,
}

pub(crate) fn heard(h: Heard) -> WireHeard {
    WireHeard {
        accepted: h.accepted,
        replies: h.replies.into_iter().map(reply).collect(),
        actions: actions(h.actions),
        whispers: h.whispers.into_iter().map(whisper).collect(),
    }
}
