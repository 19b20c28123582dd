use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use time::Duration;
use uuid::Uuid;

use super::command::Viewer;
use super::event::ChatEvent;
use crate::value::{MessageId, Timestamp};

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
        }
    }
}

fn bounded_push<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() == REMEMBERED_POINT_MOVES {
        queue.pop_front();
    }
    queue.push_back(item);
}
