use serde::{Deserialize, Serialize};

use crate::value::{Account, ChannelRef, CommandName, DisplayName, GiveawayId, MessageId, Timestamp, UserLevel};

/// What entering asks; fixed at open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveawayRules {
    /// Typed with the channel's prefix (`!join`).
    pub keyword: CommandName,
    /// Points an entry costs, taken once from the entering account.
    pub cost: u64,
    pub min_level: UserLevel,
    /// How many times a subscriber's entry weighs (1 = no luck).
    pub subscriber_luck: u32,
    /// Entries after this instant are refused as closed.
    pub closes_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GiveawayEvent {
    GiveawayOpened(GiveawayOpened),
    EntryAccepted(EntryAccepted),
    EntryAbandoned(EntryAbandoned),
    GiveawayClosed(GiveawayClosed),
    WinnersDrawn(WinnersDrawn),
    GiveawayCancelled(GiveawayCancelled),
}

impl GiveawayEvent {
    pub fn name(&self) -> &'static str {
        match self {
            GiveawayEvent::GiveawayOpened(_) => "GiveawayOpened",
            GiveawayEvent::EntryAccepted(_) => "EntryAccepted",
            GiveawayEvent::EntryAbandoned(_) => "EntryAbandoned",
            GiveawayEvent::GiveawayClosed(_) => "GiveawayClosed",
            GiveawayEvent::WinnersDrawn(_) => "WinnersDrawn",
            GiveawayEvent::GiveawayCancelled(_) => "GiveawayCancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveawayOpened {
    pub giveaway_id: GiveawayId,
    pub title: String,
    pub channels: Vec<ChannelRef>,
    pub rules: GiveawayRules,
    /// `hex(SHA-256(seed))`, published before any entry.
    pub commitment: String,
    pub opened_at: Timestamp,
}

/// One person's entry; its place among the `EntryAccepted` events of the
/// stream is its place in the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryAccepted {
    pub person: Account,
    pub account: Account,
    pub channel: ChannelRef,
    pub author: DisplayName,
    pub message_id: MessageId,
    /// 1, or the subscriber luck.
    pub weight: u32,
    pub paid: u64,
    pub entered_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryAbandoned {
    pub message_id: MessageId,
    pub account: Account,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveawayClosed {
    pub entries: u32,
    pub closed_at: Timestamp,
}

/// A draw: the seed revealed, and the winners it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinnersDrawn {
    /// 0 for the first draw, then one more per redraw.
    pub round: u32,
    /// Hex; its SHA-256 is the opening's commitment (round 0) or the
    /// previous round's `next_commitment` (a redraw).
    pub seed: String,
    /// The winner this round replaces (a redraw), if any.
    pub replaces: Option<Account>,
    pub winners: Vec<Winner>,
    pub drawn_at: Timestamp,
    /// `hex(SHA-256(seed))` of the next round's seed, fixed now: a redraw
    /// reveals fresh randomness nobody could know when it was asked for.
    /// `None` on draws logged before rounds had their own seeds.
    #[serde(default)]
    pub next_commitment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Winner {
    /// The entry's place, from 0, in the order of `EntryAccepted`.
    pub entry: u32,
    pub person: Account,
    pub account: Account,
    pub author: DisplayName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveawayCancelled {
    /// Entries whose price goes back.
    pub refunds: u32,
    pub cancelled_at: Timestamp,
}
