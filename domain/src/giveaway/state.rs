use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::event::{GiveawayEvent, GiveawayOpened};
use crate::value::{Account, MessageId, Timestamp};

/// Most entries one giveaway takes: bounds the stream's state.
pub const MAX_ENTRIES: usize = 100_000;
/// Most winners one draw picks.
pub const MAX_WINNERS: u32 = 100;
/// Highest subscriber luck.
pub const MAX_LUCK: u32 = 10;

crate::value::closed_enum!(
    /// Where a giveaway is in its life.
    Phase {
        New => "new",
        Open => "open",
        Closed => "closed",
        Drawn => "drawn",
        Cancelled => "cancelled",
    }
);

// `closed_enum!` writes the enum, so `#[default]` cannot go on a variant.
#[allow(clippy::derivable_impls)]
impl Default for Phase {
    fn default() -> Self {
        Phase::New
    }
}

/// An entry as the draw sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub person: Account,
    pub account: Account,
    pub channel: crate::value::ChannelRef,
    pub author: crate::value::DisplayName,
    pub message_id: MessageId,
    pub weight: u32,
    pub paid: u64,
    pub won: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GiveawayState {
    pub(crate) opened: Option<GiveawayOpened>,
    pub(crate) phase: Phase,
    pub(crate) entries: Vec<Entry>,
    pub(crate) people: HashSet<Account>,
    pub(crate) messages: HashSet<MessageId>,
    pub(crate) abandoned: HashSet<MessageId>,
    /// Rounds drawn so far; the next draw's round.
    pub(crate) rounds: u32,
    pub(crate) winners: BTreeSet<Account>,
    pub(crate) seed: Option<String>,
    /// What the next redraw's seed must hash to (the last draw fixed it).
    #[serde(default)]
    pub(crate) next_commitment: Option<String>,
}

impl GiveawayState {
    /// Rounds drawn so far: the next draw's (or redraw's) round.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    pub fn opened(&self) -> Option<&GiveawayOpened> {
        self.opened.as_ref()
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn has_entered(&self, person: &Account) -> bool {
        self.people.contains(person)
    }

    pub fn has_entry(&self, message_id: &MessageId) -> bool {
        self.messages.contains(message_id)
    }

    /// Whether an entry's message was abandoned (its price refunded, and
    /// the entry refused if it came late).
    pub fn was_abandoned(&self, message_id: &MessageId) -> bool {
        self.abandoned.contains(message_id)
    }

    /// Whether an entry at `at` would find it open.
    pub fn open_at(&self, at: Timestamp) -> bool {
        self.phase == Phase::Open
            && self.opened.as_ref().and_then(|o| o.rules.closes_at).is_none_or(|closes| at < closes)
    }

    pub(crate) fn evolve(&mut self, event: &GiveawayEvent) {
        match event {
            GiveawayEvent::GiveawayOpened(e) => {
                self.opened = Some(e.clone());
                self.phase = Phase::Open;
            }
            GiveawayEvent::EntryAccepted(e) => {
                self.people.insert(e.person.clone());
                self.messages.insert(e.message_id.clone());
                self.entries.push(Entry {
                    person: e.person.clone(),
                    account: e.account.clone(),
                    channel: e.channel.clone(),
                    author: e.author.clone(),
                    message_id: e.message_id.clone(),
                    weight: e.weight,
                    paid: e.paid,
                    won: false,
                });
            }
            GiveawayEvent::EntryAbandoned(e) => {
                self.abandoned.insert(e.message_id.clone());
            }
            GiveawayEvent::GiveawayClosed(_) => self.phase = Phase::Closed,
            GiveawayEvent::WinnersDrawn(e) => {
                self.phase = Phase::Drawn;
                self.rounds = e.round + 1;
                self.seed = Some(e.seed.clone());
                self.next_commitment = e.next_commitment.clone();
                for winner in &e.winners {
                    if let Some(entry) = self.entries.get_mut(winner.entry as usize) {
                        entry.won = true;
                    }
                    self.winners.insert(winner.person.clone());
                }
                if let Some(replaced) = &e.replaces {
                    self.winners.remove(replaced);
                }
            }
            GiveawayEvent::GiveawayCancelled(_) => self.phase = Phase::Cancelled,
        }
    }
}
