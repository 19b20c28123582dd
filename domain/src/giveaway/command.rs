use crate::value::{Account, ChannelRef, DisplayName, GiveawayId, MessageId, Timestamp, UserLevel};

use super::draw::Seed;
use super::event::GiveawayRules;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveawayCommand {
    Open(OpenGiveaway),
    Enter(EnterGiveaway),
    /// Entries stop; the draw comes later.
    Close {
        at: Timestamp,
    },
    /// Closes if still open, then picks `count` winners with the seed whose
    /// SHA-256 was published at open, and fixes the next round's seed by
    /// its `next_commitment`.
    Draw {
        count: u32,
        seed: Seed,
        next_commitment: String,
        at: Timestamp,
    },
    /// A winner who did not answer: one more winner in their place, picked
    /// with the seed the last draw committed to (`None`: there is none yet
    /// to reveal), and the round after it committed in turn.
    Redraw {
        replace: Account,
        seed: Option<Seed>,
        next_commitment: String,
        at: Timestamp,
    },
    /// Ends the giveaway with no winner; every price is given back.
    Cancel {
        at: Timestamp,
    },
    /// From the points settler: an entry paid for in chat that never
    /// reached the giveaway is settled as refused, so its price goes back
    /// and a late delivery cannot enter it after all.
    Abandon {
        message_id: MessageId,
        account: Account,
        at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGiveaway {
    pub giveaway_id: GiveawayId,
    pub title: String,
    pub channels: Vec<ChannelRef>,
    pub rules: GiveawayRules,
    /// `hex(SHA-256(seed))`; the seed stays outside the log until the draw.
    pub commitment: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterGiveaway {
    /// The person: the account their identity is rooted at.
    pub person: Account,
    /// The account that typed the keyword.
    pub account: Account,
    pub channel: ChannelRef,
    pub author: DisplayName,
    pub message_id: MessageId,
    pub level: UserLevel,
    /// A subscriber's entry weighs the giveaway's luck.
    pub subscriber: bool,
    /// Points the viewer's stream took for the entry.
    pub paid: u64,
    pub at: Timestamp,
}
