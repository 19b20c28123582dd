//! What the bot says and does about a message: the shapes every edge (the
//! command API's answer, the bots' feed, a gateway) carries to chat.

use wavestack_adapters::command_bus::Accepted;

use super::Action;

/// What the bot should post, and what only the author should see (a link
/// code, whispered where the platform can, sent privately otherwise; never
/// recorded, so it reaches neither the log nor the bots' feed): the wire
/// types themselves, so every edge carries them as they are.
pub use wavestack_api_types::chat::{Reply, Whisper};

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
