use super::command::{ClipCommand, RequestClip};
use super::error::ClipError;
use super::event::{ClipDeleted, ClipEvent, ClipRenderingFailed, ClipRenderingStarted, ClipRequested};
use super::state::{ClipPolicy, ClipState, ClipStatus};
use crate::aggregate::Decider;

impl Decider for ClipState {
    type Command = ClipCommand;
    type Event = ClipEvent;
    type Error = ClipError;
    type Policy = ClipPolicy;

    fn decide(&self, command: ClipCommand, policy: &ClipPolicy) -> Result<Vec<ClipEvent>, ClipError> {
        let status = self.status;
        match (command, status) {
            (ClipCommand::RequestClip(request), None) => Ok(vec![requested(request)]),
            (ClipCommand::RequestClip(_), Some(_)) => Err(ClipError::AlreadyRequested),
            (_, None) => Err(ClipError::NotFound),

            (ClipCommand::StartRendering { worker }, Some(status)) => {
                match status {
                    ClipStatus::Requested => {}
                    ClipStatus::Failed { retryable: false } if self.attempts >= policy.max_attempts => {
                        return Err(ClipError::RetryLimitReached { attempts: self.attempts })
                    }
                    ClipStatus::Failed { retryable: false } => return Err(ClipError::FailureNotRetryable),
                    ClipStatus::Failed { retryable: true } => {}
                    // Taking over from a renderer that died mid-job.
                    ClipStatus::Rendering if self.attempts < policy.max_attempts => {}
                    ClipStatus::Rendering => return Err(ClipError::RetryLimitReached { attempts: self.attempts }),
                    from @ (ClipStatus::Rendered | ClipStatus::Deleted) => {
                        return Err(ClipError::IllegalTransition { from, action: "start rendering" })
                    }
                }
                Ok(vec![ClipEvent::ClipRenderingStarted(ClipRenderingStarted { attempt: self.attempts + 1, worker })])
            }

            (ClipCommand::CompleteRendering(output), Some(ClipStatus::Rendering)) => {
                Ok(vec![ClipEvent::ClipRendered(output)])
            }
            (ClipCommand::CompleteRendering(_), Some(from)) => {
                Err(ClipError::IllegalTransition { from, action: "complete" })
            }

            (ClipCommand::FailRendering { reason, retryable }, Some(ClipStatus::Rendering)) => {
                Ok(vec![ClipEvent::ClipRenderingFailed(ClipRenderingFailed {
                    attempt: self.attempts,
                    reason,
                    retryable: retryable && self.attempts < policy.max_attempts,
                })])
            }
            (ClipCommand::FailRendering { .. }, Some(from)) => {
                Err(ClipError::IllegalTransition { from, action: "fail" })
            }

            (ClipCommand::DeleteClip { reason }, Some(ClipStatus::Rendered)) => {
                Ok(vec![ClipEvent::ClipDeleted(ClipDeleted { reason })])
            }
            (ClipCommand::DeleteClip { .. }, Some(from)) => {
                Err(ClipError::IllegalTransition { from, action: "delete" })
            }
        }
    }

    fn evolve(&mut self, event: &ClipEvent) {
        ClipState::evolve(self, event);
    }
}

fn requested(r: RequestClip) -> ClipEvent {
    ClipEvent::ClipRequested(ClipRequested::from(r))
}

/// What a request records: all of it.
impl From<RequestClip> for ClipRequested {
    fn from(r: RequestClip) -> Self {
        Self {
            clip_id: r.clip_id,
            channel: r.channel,
            source: r.source,
            start: r.start,
            duration: r.duration,
            container: r.container,
            reencode: r.reencode,
            title: r.title,
            requested_by: r.requested_by,
        }
    }
}
