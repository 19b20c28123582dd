use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::event::BroadcastEvent;
use crate::value::{PlatformEventId, Timestamp};

/// How many event ids a channel remembers to drop redeliveries cheaply;
/// past them the store's once key refuses a second record.
pub const REMEMBERED_EVENT_IDS: usize = 1_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BroadcastState {
    /// When the stream now live started; none while offline.
    pub(crate) live_since: Option<Timestamp>,
    pub(crate) seen: VecDeque<PlatformEventId>,
}

impl BroadcastState {
    /// When the stream went live, if it is live.
    pub fn live_since(&self) -> Option<Timestamp> {
        self.live_since
    }

    /// How many event ids the state remembers (its size).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    pub(crate) fn has_seen(&self, id: &PlatformEventId) -> bool {
        self.seen.contains(id)
    }

    pub(crate) fn evolve(&mut self, event: &BroadcastEvent) {
        match event {
            BroadcastEvent::SupportReceived(_)
            | BroadcastEvent::ChatMessageDeleted(_)
            | BroadcastEvent::ChatCleared(_) => {}
            BroadcastEvent::StreamStarted(e) => self.live_since = Some(e.started_at),
            BroadcastEvent::StreamEnded(_) => self.live_since = None,
        }
        if self.seen.len() == REMEMBERED_EVENT_IDS {
            self.seen.pop_front();
        }
        self.seen.push_back(event.event_id().clone());
    }
}
