use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::event::CommandUseEvent;
use crate::value::{MessageId, PlatformUserId, Timestamp};

/// Decisions remembered by message id, for a redelivered message and for
/// the process manager asking what became of a use. As the chat stream's
/// message ids, a bound that keeps snapshots small.
pub const REMEMBERED_DECISIONS: usize = 1000;
/// Viewers whose last answer is remembered for per-viewer cooldowns; past
/// it the oldest answer is forgotten (its cooldown is long over in any
/// channel where this many viewers used the command since).
pub const REMEMBERED_VIEWERS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandUseState {
    pub(crate) count: u64,
    pub(crate) last_answer_at: Option<Timestamp>,
    pub(crate) last_answer_by_viewer: BTreeMap<PlatformUserId, Timestamp>,
    /// (message, answered?), oldest first.
    pub(crate) decided: VecDeque<(MessageId, bool)>,
}

impl CommandUseState {
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Decisions and viewers held: what keeping the state in memory costs.
    pub fn remembered(&self) -> usize {
        self.decided.len() + self.last_answer_by_viewer.len()
    }

    /// `Some(true)` answered, `Some(false)` refused, `None` not decided (or
    /// forgotten).
    pub fn decision_of(&self, message: &MessageId) -> Option<bool> {
        self.decided.iter().rev().find(|(m, _)| m == message).map(|(_, answered)| *answered)
    }

    pub(crate) fn evolve(&mut self, event: &CommandUseEvent) {
        let answered = matches!(event, CommandUseEvent::CommandAnswered(_));
        if let CommandUseEvent::CommandAnswered(e) = event {
            self.count = e.count;
            self.last_answer_at = Some(self.last_answer_at.map_or(e.answered_at, |last| last.max(e.answered_at)));
            self.last_answer_by_viewer.insert(e.invoker.user_id.clone(), e.answered_at);
            if self.last_answer_by_viewer.len() > REMEMBERED_VIEWERS {
                let oldest = self.last_answer_by_viewer.iter().min_by_key(|(_, at)| **at).map(|(u, _)| u.clone());
                if let Some(oldest) = oldest {
                    self.last_answer_by_viewer.remove(&oldest);
                }
            }
        }
        if self.decided.len() == REMEMBERED_DECISIONS {
            self.decided.pop_front();
        }
        self.decided.push_back((event.invoker().message_id.clone(), answered));
    }
}
