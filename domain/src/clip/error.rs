use thiserror::Error;

use super::state::ClipStatus;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClipError {
    #[error("clip was already requested")]
    AlreadyRequested,
    #[error("clip does not exist")]
    NotFound,
    #[error("cannot {action} a clip that is {from}")]
    IllegalTransition { from: ClipStatus, action: &'static str },
    #[error("the clip failed permanently and cannot be retried")]
    FailureNotRetryable,
    #[error("the clip has used all {attempts} render attempts")]
    RetryLimitReached { attempts: u32 },
}

impl ClipError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            ClipError::AlreadyRequested => "clip_already_requested",
            ClipError::NotFound => "not_found",
            ClipError::IllegalTransition { .. } => "illegal_transition",
            ClipError::FailureNotRetryable => "failure_not_retryable",
            ClipError::RetryLimitReached { .. } => "retry_limit_reached",
        }
    }
}
