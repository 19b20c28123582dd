use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use time::Duration;
use uuid::Uuid;

use super::command::Viewer;
use super::event::ChatEvent;
use crate::moderation::{digest, ActionKind, ModeratorAction, RecentMessage, REMEMBERED_RECENT};
use crate::value::{GiveawayId, MessageId, PlatformEventId, Timestamp};

/// How many recent platform message ids a viewer remembers for dropping
/// redeliveries. Platforms redeliver within minutes; a thousand messages
/// from one viewer spans hours, and the bound keeps snapshots small.
pub const REMEMBERED_MESSAGE_IDS: usize = 1000;

/// Transfers received, and command prices not yet settled, remembered
/// for exactly-once credits and refunds: the same bound as message ids.
pub const REMEMBERED_POINT_MOVES: usize = 1000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatState {
    pub(crate) viewer: Option<Viewer>,
    pub(crate) balance: u64,
    pub(crate) messages: u64,
    pub(crate) last_award_at: Option<Timestamp>,
    pub(crate) recent_message_ids: VecDeque<MessageId>,
    // Defaults: snapshots written before the points economy lack them.
    #[serde(default)]
    pub(crate) received_transfers: VecDeque<Uuid>,
    /// Prices taken and not refunded: (message, points).
    #[serde(default)]
    pub(crate) open_spends: VecDeque<(MessageId, u64)>,
    #[serde(default)]
    pub(crate) last_daily_at: Option<Timestamp>,
    // Moderation: defaults for snapshots written before it.
    /// The latest messages, for the flood and same-message filters.
    #[serde(default)]
    pub(crate) recent: VecDeque<RecentMessage>,
    /// When each strike stops counting.
    #[serde(default)]
    pub(crate) strikes: VecDeque<Timestamp>,
    #[serde(default)]
    pub(crate) banned: bool,
    #[serde(default)]
    pub(crate) timed_out_until: Option<Timestamp>,
    #[serde(default)]
    pub(crate) permit_until: Option<Timestamp>,
    /// Giveaway entries paid and not refunded: (giveaway, points).
    #[serde(default)]
    pub(crate) paid_entries: VecDeque<(GiveawayId, u64)>,
    /// Support already paid for, by its platform event id.
    #[serde(default)]
    pub(crate) rewarded_support: VecDeque<PlatformEventId>,
}

impl ChatState {
    pub fn balance(&self) -> u64 {
        self.balance
    }

    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// How many message ids the state holds for spotting redeliveries: what
    /// keeping it in memory costs, mostly.
    pub fn remembered_message_ids(&self) -> usize {
        self.recent_message_ids.len()
    }

    pub fn banned(&self) -> bool {
        self.banned
    }

    /// The end of the viewer's timeout, if one runs at `at`.
    pub fn timed_out_at(&self, at: Timestamp) -> Option<Timestamp> {
        self.timed_out_until.filter(|until| *until > at)
    }

    /// Strikes still counting at `at`.
    pub fn strikes_at(&self, at: Timestamp) -> u32 {
        self.strikes.iter().filter(|expires| **expires > at).count() as u32
    }

    /// What the viewer paid to enter a giveaway and has not had back.
    pub fn paid_for(&self, giveaway: GiveawayId) -> Option<u64> {
        self.paid_entries.iter().find(|(g, _)| *g == giveaway).map(|(_, points)| *points)
    }

    pub(crate) fn permit_at(&self, at: Timestamp) -> bool {
        self.permit_until.is_some_and(|until| at <= until)
    }

    pub(crate) fn has_seen(&self, id: &MessageId) -> bool {
        self.recent_message_ids.contains(id)
    }

    pub(crate) fn cooldown_over(&self, at: Timestamp, cooldown_seconds: u32) -> bool {
        match self.last_award_at {
            None => true,
            Some(last) => at.as_datetime() - last.as_datetime() >= Duration::seconds(i64::from(cooldown_seconds)),
        }
    }

    pub(crate) fn evolve(&mut self, event: &ChatEvent) {
        match event {
            ChatEvent::ChatMessageReceived(e) => {
                if self.viewer.is_none() {
                    self.viewer =
                        Some(Viewer { platform: e.platform, channel: e.channel.clone(), user_id: e.user_id.clone() });
                }
                self.messages += 1;
                if self.recent_message_ids.len() == REMEMBERED_MESSAGE_IDS {
                    self.recent_message_ids.pop_front();
                }
                self.recent_message_ids.push_back(e.message_id.clone());
                if self.recent.len() == REMEMBERED_RECENT {
                    self.recent.pop_front();
                }
                self.recent.push_back(RecentMessage { at: e.sent_at, digest: digest(e.text.as_str()) });
            }
            ChatEvent::PointsAwarded(e) => {
                self.balance = e.balance;
                self.last_award_at = Some(e.awarded_at);
            }
            ChatEvent::ChatCommandInvoked(_) | ChatEvent::PointsRequestRefused(_) => {}
            ChatEvent::PointsSpent(e) => {
                self.balance = e.balance;
                bounded_push(&mut self.open_spends, (e.message_id.clone(), e.points));
            }
            ChatEvent::PointsSent(e) => self.balance = e.balance,
            ChatEvent::PointsReceived(e) => {
                self.balance = e.balance;
                bounded_push(&mut self.received_transfers, e.transfer_id);
            }
            ChatEvent::PointsRefunded(e) => {
                self.balance = e.balance;
                self.open_spends.retain(|(m, _)| *m != e.message_id);
            }
            ChatEvent::DailyBonusClaimed(e) => {
                self.balance = e.balance;
                self.last_daily_at = Some(e.claimed_at);
            }
            ChatEvent::MessageModerated(e) => {
                if let Some(expires) = e.strike_expires_at {
                    bounded_push(&mut self.strikes, expires);
                }
                match e.action {
                    ActionKind::Ban => self.banned = true,
                    ActionKind::Timeout => self.timed_out_until = Some(after(e.decided_at, e.seconds)),
                    ActionKind::Delete | ActionKind::Unban => {}
                }
            }
            ChatEvent::ModeratorActed(e) => match e.action {
                ModeratorAction::Timeout => self.timed_out_until = Some(after(e.at, e.seconds)),
                ModeratorAction::Ban => self.banned = true,
                ModeratorAction::Unban => {
                    self.banned = false;
                    self.timed_out_until = None;
                    self.strikes.clear();
                }
                ModeratorAction::Pardon => self.strikes.clear(),
                ModeratorAction::Permit => self.permit_until = Some(after(e.at, e.seconds)),
            },
            ChatEvent::PermitUsed(_) => self.permit_until = None,
            ChatEvent::EntryPaid(e) => {
                self.balance = e.balance;
                bounded_push(&mut self.paid_entries, (e.giveaway_id, e.points));
            }
            ChatEvent::EntryRefunded(e) => {
                self.balance = e.balance;
                self.paid_entries.retain(|(g, _)| *g != e.giveaway_id);
            }
            ChatEvent::SupportRewarded(e) => {
                self.balance = e.balance;
                bounded_push(&mut self.rewarded_support, e.event_id.clone());
            }
        }
    }
}

fn after(at: Timestamp, seconds: u32) -> Timestamp {
    at.plus(Duration::seconds(i64::from(seconds)))
}

fn bounded_push<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() == REMEMBERED_POINT_MOVES {
        queue.pop_front();
    }
    queue.push_back(item);
}
