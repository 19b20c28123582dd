use serde::{Deserialize, Serialize};

use crate::value::{MessageId, PlatformUserId, Timestamp};

/// Most characters kept of a delivery's text and of a platform's answer.
pub const MAX_TEXT: usize = 500;
/// Most characters of a delivery id.
pub const MAX_ID: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryEvent {
    DeliveryStarted(DeliveryStarted),
    DeliveryExecuted(DeliveryExecuted),
    DeliveryFailed(DeliveryFailed),
    DeliveryFateUnknown(DeliveryFateUnknown),
}

impl DeliveryEvent {
    pub fn name(&self) -> &'static str {
        match self {
            DeliveryEvent::DeliveryStarted(_) => "DeliveryStarted",
            DeliveryEvent::DeliveryExecuted(_) => "DeliveryExecuted",
            DeliveryEvent::DeliveryFailed(_) => "DeliveryFailed",
            DeliveryEvent::DeliveryFateUnknown(_) => "DeliveryFateUnknown",
        }
    }

    pub fn delivery(&self) -> &str {
        match self {
            DeliveryEvent::DeliveryStarted(e) => &e.delivery,
            DeliveryEvent::DeliveryExecuted(e) => &e.delivery,
            DeliveryEvent::DeliveryFailed(e) => &e.delivery,
            DeliveryEvent::DeliveryFateUnknown(e) => &e.delivery,
        }
    }
}

crate::value::closed_enum!(
    /// What a delivery does on the platform.
    DeliveryKind {
        Reply => "reply",
        Delete => "delete",
        Timeout => "timeout",
        Ban => "ban",
        Unban => "unban",
        Whisper => "whisper",
    }
);

/// A reply or an action left for the platform. `text` is the reply, or
/// the reason given with a moderation action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStarted {
    pub delivery: String,
    pub kind: DeliveryKind,
    /// The chat message answered or acted on, if any.
    pub message_id: Option<MessageId>,
    /// The viewer acted on (timeouts, bans, unbans).
    pub user_id: Option<PlatformUserId>,
    pub text: String,
    pub at: Timestamp,
}

/// The platform carried it out; `platform_id` is its id of what it made
/// (a sent message's id), when it gives one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryExecuted {
    pub delivery: String,
    pub platform_id: Option<String>,
    pub at: Timestamp,
}

/// The platform refused it: its HTTP status (200 for a message it accepted
/// and then dropped, 0 when no platform call fits) and its own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailed {
    pub delivery: String,
    pub status: u16,
    pub answer: String,
    pub at: Timestamp,
}

/// Started, but the process carrying it stopped before the platform
/// answered: it may or may not have happened, and it is not tried again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFateUnknown {
    pub delivery: String,
    pub at: Timestamp,
}
