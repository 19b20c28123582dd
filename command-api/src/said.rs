//! The application layer's replies, actions and whispers as the API's
//! wire bodies (`wavestack-api-types`).

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

/// What a heard message comes to on the wire: replies, actions, whispers.
pub(crate) fn heard(h: Heard) -> (Vec<wire::Reply>, Vec<wire::Action>, Vec<wire::Whisper>) {
    (h.replies.into_iter().map(reply).collect(), actions(h.actions), h.whispers.into_iter().map(whisper).collect())
}
