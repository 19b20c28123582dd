use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use time::Duration;

use super::command::Viewer;
use super::event::ChatEvent;
use crate::value::{MessageId, Timestamp};

/// How many recent platform message ids a viewer remembers for dropping
/// redeliveries. Platforms redeliver within minutes; a thousand messages
/// from one viewer spans hours, and the bound keeps snapshots small.
pub const REMEMBERED_MESSAGE_IDS: usize = 1000;

/// How points are earned. One deployment-wide policy for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsPolicy {
    pub points_per_award: u64,
    /// Minimum platform time between two awards to one viewer.
    pub cooldown: Duration,
}

impl Default for PointsPolicy {
    fn default() -> Self {
        Self { points_per_award: 1, cooldown: Duration::seconds(60) }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatState {
    pub(crate) viewer: Option<Viewer>,
    pub(crate) balance: u64,
    pub(crate) messages: u64,
    pub(crate) last_award_at: Option<Timestamp>,
    pub(crate) recent_message_ids: VecDeque<MessageId>,
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

    pub(crate) fn cooldown_over(&self, at: Timestamp, cooldown: Duration) -> bool {
        match self.last_award_at {
            None => true,
            Some(last) => at.as_datetime() - last.as_datetime() >= cooldown,
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
            ChatEvent::ChatCommandInvoked(_) => {}
        }
    }
}
