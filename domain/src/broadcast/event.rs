use serde::{Deserialize, Serialize};

use crate::value::{DisplayName, MessageId, PlatformEventId, PlatformUserId, SubTier, SupportKind, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BroadcastEvent {
    SupportReceived(SupportReceived),
    StreamStarted(StreamStarted),
    StreamEnded(StreamEnded),
    ChatMessageDeleted(ChatMessageDeleted),
    ChatCleared(ChatCleared),
}

impl BroadcastEvent {
    pub fn name(&self) -> &'static str {
        match self {
            BroadcastEvent::SupportReceived(_) => "SupportReceived",
            BroadcastEvent::StreamStarted(_) => "StreamStarted",
            BroadcastEvent::StreamEnded(_) => "StreamEnded",
            BroadcastEvent::ChatMessageDeleted(_) => "ChatMessageDeleted",
            BroadcastEvent::ChatCleared(_) => "ChatCleared",
        }
    }

    /// The platform's id of what the event records.
    pub fn event_id(&self) -> &PlatformEventId {
        match self {
            BroadcastEvent::SupportReceived(e) => &e.event_id,
            BroadcastEvent::StreamStarted(e) => &e.event_id,
            BroadcastEvent::StreamEnded(e) => &e.event_id,
            BroadcastEvent::ChatMessageDeleted(e) => &e.event_id,
            BroadcastEvent::ChatCleared(e) => &e.event_id,
        }
    }
}

/// One piece of support, with what the channel's policy paid for it. One
/// shape for every kind, so that alerts, analytics and payouts read them
/// alike; a field a kind does not have is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportReceived {
    pub event_id: PlatformEventId,
    pub kind: SupportKind,
    /// The giver; none for an anonymous gift or cheer.
    pub user_id: Option<PlatformUserId>,
    pub user_name: Option<DisplayName>,
    /// A sub's, a resub's or a gift's tier.
    pub tier: Option<SubTier>,
    /// The kind's count: gifted subs, bits, raid viewers, a resub's
    /// cumulative months, a redemption's cost; 1 for a follow or a sub.
    pub amount: u64,
    /// A sub someone else paid for (its gifter is paid in the gift).
    pub gifted: bool,
    /// The viewer's own words: a resub's or a cheer's message, a
    /// redemption's input. May be empty.
    pub message: String,
    /// A redemption's reward title; empty for the other kinds.
    pub reward: String,
    /// What the support policy pays the giver, credited to their points
    /// by the settler once per event.
    pub points: u64,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStarted {
    pub event_id: PlatformEventId,
    pub started_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEnded {
    pub event_id: PlatformEventId,
    /// The start this ends, when it was recorded.
    pub started_at: Option<Timestamp>,
    pub ended_at: Timestamp,
}

/// A moderator removed a message on the platform itself (not through
/// WaveStack): chat boxes take it back too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessageDeleted {
    pub event_id: PlatformEventId,
    pub message_id: MessageId,
    /// Its author.
    pub user_id: PlatformUserId,
    pub at: Timestamp,
}

/// A moderator cleared the chat on the platform itself: chat boxes empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCleared {
    pub event_id: PlatformEventId,
    pub at: Timestamp,
}
