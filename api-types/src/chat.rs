//! What the bot should say and do about a chat message: in the answer to
//! `POST /v1/chat/messages`, in a moderator's action's answer, and on the
//! bots' reply feed (`GET /v1/bot/replies`).

use serde::{Deserialize, Serialize};

/// Something the bot should post, in answer to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reply {
    pub text: String,
    /// The platform message it answers.
    pub in_reply_to: String,
    /// The command, as invoked; `moderation` for a filter's warning.
    pub command: String,
}

/// Something only the author should see (a link code): whisper it where
/// the platform can, or send it privately; never say it in chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Whisper {
    pub to_user_id: String,
    pub text: String,
    pub in_reply_to: String,
}

/// One thing for the bot's gateway to do on the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Action {
    /// delete, timeout, ban or unban.
    pub action: String,
    pub platform: String,
    pub channel: String,
    /// The viewer acted on.
    pub user_id: String,
    /// The message to delete (a delete), or that caused the action.
    pub message_id: Option<String>,
    /// A timeout's length; 0 otherwise.
    pub seconds: u32,
    /// Why, for the platform's moderation log: the filter and its
    /// evidence, or the moderator's reason.
    pub reason: String,
    /// `filter`, or the moderator's actor id.
    pub decided_by: String,
}
