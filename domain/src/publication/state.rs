use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::PublicationEvent;
use crate::value::{IdempotencyKey, TargetPlatform, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationPolicy {
    /// Attempts per target before a retryable failure becomes final.
    pub max_attempts: u32,
    /// An attempt with no outcome for this long is presumed dead (its
    /// publisher crashed mid-upload) and may be taken over by a new one.
    pub attempt_lease: time::Duration,
}

impl Default for PublicationPolicy {
    fn default() -> Self {
        Self { max_attempts: 5, attempt_lease: time::Duration::minutes(15) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetStatus {
    Pending,
    Attempting,
    Failed { next_retry_at: Option<Timestamp> },
    Published,
    GaveUp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetState {
    pub status: TargetStatus,
    pub attempts: u32,
    /// When the current or last attempt started.
    #[serde(default)]
    pub attempt_started: Option<Timestamp>,
}

impl TargetState {
    pub fn is_finished(&self) -> bool {
        matches!(self.status, TargetStatus::Published | TargetStatus::GaveUp)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublicationState {
    pub(crate) created: bool,
    pub(crate) idempotency_key: Option<IdempotencyKey>,
    pub(crate) waiting_for_asset: bool,
    pub(crate) scheduled_at: Option<Timestamp>,
    pub(crate) cancelled: bool,
    pub(crate) targets: BTreeMap<TargetPlatform, TargetState>,
}

impl PublicationState {
    pub fn target(&self, target: TargetPlatform) -> Option<&TargetState> {
        self.targets.get(&target)
    }

    pub(crate) fn all_finished(&self) -> bool {
        self.targets.values().all(TargetState::is_finished)
    }

    pub(crate) fn evolve(&mut self, event: &PublicationEvent) {
        match event {
            PublicationEvent::PublicationCreated(e) => {
                self.created = true;
                self.idempotency_key = e.idempotency_key.clone();
                self.waiting_for_asset = e.waiting_for_asset;
                self.scheduled_at = e.scheduled_at;
                self.targets = e
                    .targets
                    .iter()
                    .map(|t| (t, TargetState { status: TargetStatus::Pending, attempts: 0, attempt_started: None }))
                    .collect();
            }
            PublicationEvent::PublicationAssetReady(_) => self.waiting_for_asset = false,
            PublicationEvent::PublicationRescheduled(e) => self.scheduled_at = Some(e.scheduled_at),
            PublicationEvent::PublicationCancelled(_) => self.cancelled = true,
            PublicationEvent::PublishAttemptStarted(e) => {
                if let Some(t) = self.targets.get_mut(&e.target) {
                    t.status = TargetStatus::Attempting;
                    t.attempts = e.attempt;
                    t.attempt_started = Some(e.started_at);
                }
            }
            PublicationEvent::TargetPublished(e) => {
                if let Some(t) = self.targets.get_mut(&e.target) {
                    t.status = TargetStatus::Published;
                }
            }
            PublicationEvent::TargetPublishFailed(e) => {
                if let Some(t) = self.targets.get_mut(&e.target) {
                    t.status = if e.gave_up {
                        TargetStatus::GaveUp
                    } else {
                        TargetStatus::Failed { next_retry_at: e.next_retry_at }
                    };
                }
            }
        }
    }
}
