use thiserror::Error;

use crate::value::{TargetPlatform, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PublicationError {
    #[error("a publication with this id already exists")]
    AlreadyExists,
    #[error("publication does not exist")]
    NotFound,
    #[error("publication was cancelled")]
    Cancelled,
    #[error("every target of this publication is already finished")]
    AlreadyFinished,
    #[error("the asset is not ready yet")]
    AssetNotReady,
    #[error("{target} is not a target of this publication")]
    UnknownTarget { target: TargetPlatform },
    #[error("{target} is already published")]
    AlreadyPublished { target: TargetPlatform },
    #[error("an attempt to publish to {target} is already in progress")]
    AttemptInProgress { target: TargetPlatform },
    #[error("no attempt to publish to {target} is in progress")]
    NoAttemptInProgress { target: TargetPlatform },
    #[error("publishing to {target} was given up after {attempts} attempts")]
    GaveUp { target: TargetPlatform, attempts: u32 },
    #[error("not due before {due}")]
    NotDueYet { due: Timestamp },
}

impl PublicationError {
    /// Stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            PublicationError::AlreadyExists => "publication_already_exists",
            PublicationError::NotFound => "not_found",
            PublicationError::Cancelled => "publication_cancelled",
            PublicationError::AlreadyFinished => "publication_finished",
            PublicationError::AssetNotReady => "asset_not_ready",
            PublicationError::UnknownTarget { .. } => "unknown_target",
            PublicationError::AlreadyPublished { .. } => "already_published",
            PublicationError::AttemptInProgress { .. } => "attempt_in_progress",
            PublicationError::NoAttemptInProgress { .. } => "no_attempt_in_progress",
            PublicationError::GaveUp { .. } => "gave_up",
            PublicationError::NotDueYet { .. } => "not_due_yet",
        }
    }
}
