use crate::value::{DisplayName, MessageId, PlatformEventId, PlatformUserId, SubTier, SupportPolicy, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastCommand {
    /// Something the platform reported; `policy` is the channel's support
    /// policy as the caller read it, which decides the payout once, here.
    Record { happening: Happening, policy: SupportPolicy },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Happening {
    /// The platform's id for it: a redelivery carries the same.
    pub event_id: PlatformEventId,
    pub what: What,
    /// When the platform says it happened.
    pub at: Timestamp,
}

/// A viewer as the platform names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supporter {
    pub user_id: PlatformUserId,
    pub name: DisplayName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Follow {
        by: Supporter,
    },
    /// A first subscription; `gifted` when someone else paid for it.
    Sub {
        by: Supporter,
        tier: SubTier,
        gifted: bool,
    },
    /// A subscription shared again in chat, with its months and message.
    Resub {
        by: Supporter,
        tier: SubTier,
        months: u32,
        message: String,
    },
    /// `by` is none for an anonymous gift.
    Gift {
        by: Option<Supporter>,
        tier: SubTier,
        count: u32,
    },
    /// `by` is none for an anonymous cheer.
    Cheer {
        by: Option<Supporter>,
        bits: u64,
        message: String,
    },
    /// `by` is the raiding broadcaster.
    Raid {
        by: Supporter,
        viewers: u64,
    },
    Redemption {
        by: Supporter,
        reward_title: String,
        cost: u64,
        input: String,
    },
    Online {
        started_at: Timestamp,
    },
    Offline,
    /// A moderator removed one message on the platform itself.
    MessageDeleted {
        message_id: MessageId,
        user_id: PlatformUserId,
    },
    /// A moderator cleared the whole chat on the platform itself.
    ChatCleared,
}
