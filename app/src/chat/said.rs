//! What the bot says and does about a message: the shapes every edge (the
//! command API's answer, the bots' feed, a gateway) carries to chat.

use wavestack_adapters::command_bus::Accepted;

use super::Action;

/// Something the bot should post, in answer to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// The platform message it answers.
    pub in_reply_to: String,
    /// The command, as invoked; [`MODERATION_REPLY`] for a filter's warning.
    pub command: String,
}

/// Something only the author should see (a link code): the gateway
/// whispers it where the platform can, or sends it privately. Never
/// recorded, so it reaches neither the log nor the bots' feed: only the
/// answer to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whisper {
    pub to_user_id: String,
    pub text: String,
    pub in_reply_to: String,
}

/// What a filter's warning is filed under, where a reply names its command.
pub const MODERATION_REPLY: &str = "moderation";

/// A message written, and what the bot says and does about it.
#[derive(Debug)]
pub struct Heard {
    pub accepted: Accepted,
    pub replies: Vec<Reply>,
    pub actions: Vec<Action>,
    pub whispers: Vec<Whisper>,
}
