use super::command::{CreatePublication, PublicationCommand};
use super::error::PublicationError;
use super::event::*;
use super::state::{PublicationPolicy, PublicationState, TargetState, TargetStatus};
use crate::aggregate::Decider;
use crate::value::{Asset, TargetPlatform, Timestamp};

impl Decider for PublicationState {
    type Command = PublicationCommand;
    type Event = PublicationEvent;
    type Error = PublicationError;
    type Policy = PublicationPolicy;

    fn decide(
        &self,
        command: PublicationCommand,
        policy: &PublicationPolicy,
    ) -> Result<Vec<PublicationEvent>, PublicationError> {
        use PublicationCommand::*;
        if let CreatePublication(create) = command {
            return self.create(create);
        }
        if !self.created {
            return Err(PublicationError::NotFound);
        }
        match command {
            CreatePublication(_) => unreachable!("handled above"),
            MarkAssetReady { media_uri } => {
                if !self.waiting_for_asset {
                    // A redelivered "clip rendered" changes nothing.
                    return Ok(vec![]);
                }
                self.refuse_if_cancelled()?;
                Ok(vec![PublicationEvent::PublicationAssetReady(PublicationAssetReady { media_uri })])
            }
            Reschedule { scheduled_at } => {
                self.refuse_if_closed()?;
                Ok(vec![PublicationEvent::PublicationRescheduled(PublicationRescheduled { scheduled_at })])
            }
            Cancel => {
                self.refuse_if_closed()?;
                Ok(vec![PublicationEvent::PublicationCancelled(PublicationCancelled {})])
            }
            StartAttempt { target, at } => self.start_attempt(target, at, policy),
            RecordPublished { target, post_id, url } => {
                let state = self.attempting(target)?;
                Ok(vec![PublicationEvent::TargetPublished(TargetPublished {
                    target,
                    attempt: state.attempts,
                    post_id,
                    url,
                })])
            }
            RecordFailure { target, error, retryable, next_retry_at } => {
                let state = self.attempting(target)?;
                let gave_up = !retryable || state.attempts >= policy.max_attempts;
                Ok(vec![PublicationEvent::TargetPublishFailed(TargetPublishFailed {
                    target,
                    attempt: state.attempts,
                    error,
                    next_retry_at: if gave_up { None } else { next_retry_at },
                    gave_up,
                })])
            }
        }
    }

    fn evolve(&mut self, event: &PublicationEvent) {
        PublicationState::evolve(self, event);
    }
}

impl PublicationState {
    fn create(&self, c: CreatePublication) -> Result<Vec<PublicationEvent>, PublicationError> {
        if self.created {
            // The same idempotency key maps to the same publication id, so a
            // retried create lands here and is answered with no new event.
            return match (&self.idempotency_key, &c.idempotency_key) {
                (Some(existing), Some(retried)) if existing == retried => Ok(vec![]),
                _ => Err(PublicationError::AlreadyExists),
            };
        }
        let waiting_for_asset = matches!(c.asset, Asset::Clip(_));
        Ok(vec![PublicationEvent::PublicationCreated(PublicationCreated {
            publication_id: c.publication_id,
            asset: c.asset,
            targets: c.targets,
            title: c.title,
            caption: c.caption,
            hashtags: c.hashtags,
            scheduled_at: c.scheduled_at,
            idempotency_key: c.idempotency_key,
            waiting_for_asset,
        })])
    }

    fn refuse_if_cancelled(&self) -> Result<(), PublicationError> {
        if self.cancelled {
            Err(PublicationError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Cancelled, or nothing left to publish.
    fn refuse_if_closed(&self) -> Result<(), PublicationError> {
        self.refuse_if_cancelled()?;
        if self.all_finished() {
            return Err(PublicationError::AlreadyFinished);
        }
        Ok(())
    }

    fn target_state(&self, target: TargetPlatform) -> Result<&TargetState, PublicationError> {
        self.targets.get(&target).ok_or(PublicationError::UnknownTarget { target })
    }

    /// Outcomes are accepted even after a cancel: the upload already happened.
    fn attempting(&self, target: TargetPlatform) -> Result<&TargetState, PublicationError> {
        let state = self.target_state(target)?;
        match state.status {
            TargetStatus::Attempting => Ok(state),
            TargetStatus::Published => Err(PublicationError::AlreadyPublished { target }),
            _ => Err(PublicationError::NoAttemptInProgress { target }),
        }
    }

    fn start_attempt(
        &self,
        target: TargetPlatform,
        at: Timestamp,
        policy: &PublicationPolicy,
    ) -> Result<Vec<PublicationEvent>, PublicationError> {
        self.refuse_if_cancelled()?;
        let state = self.target_state(target)?;
        match &state.status {
            TargetStatus::Published => return Err(PublicationError::AlreadyPublished { target }),
            // A publisher that died mid-upload leaves its attempt open; once
            // its lease has run out, another may take over.
            TargetStatus::Attempting
                if state.attempt_started.is_none_or(|started| at < started.plus(policy.attempt_lease)) =>
            {
                return Err(PublicationError::AttemptInProgress { target })
            }
            TargetStatus::Attempting => {}
            TargetStatus::GaveUp => return Err(PublicationError::GaveUp { target, attempts: state.attempts }),
            TargetStatus::Failed { next_retry_at: Some(due) } if at < *due => {
                return Err(PublicationError::NotDueYet { due: *due })
            }
            TargetStatus::Failed { .. } | TargetStatus::Pending => {}
        }
        if state.attempts >= policy.max_attempts {
            return Err(PublicationError::GaveUp { target, attempts: state.attempts });
        }
        if self.waiting_for_asset {
            return Err(PublicationError::AssetNotReady);
        }
        if let Some(due) = self.scheduled_at.filter(|due| at < *due) {
            return Err(PublicationError::NotDueYet { due });
        }
        Ok(vec![PublicationEvent::PublishAttemptStarted(PublishAttemptStarted {
            target,
            attempt: state.attempts + 1,
            started_at: at,
        })])
    }
}
