use thiserror::Error;

use crate::value::{Account, ChatPlatform, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentityError {
    /// Guessed, expired, used, or another org's: which is never said.
    #[error("that code is not valid")]
    InvalidCode,
    #[error("too many attempts; try again after {until}")]
    TooManyAttempts { until: Timestamp },
    #[error("these accounts are already linked")]
    AlreadyLinked,
    #[error("a person links one account per platform, and {0} is taken")]
    PlatformTaken(ChatPlatform),
    /// The stream is not the person's root: the caller went to the wrong
    /// stream (a race with a merge), and retries at `root`.
    #[error("the person is rooted at {root}")]
    NotRoot { root: Account },
    #[error("{0} is not linked to this person")]
    NotLinked(Account),
}

impl IdentityError {
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::InvalidCode => "invalid_code",
            IdentityError::TooManyAttempts { .. } => "too_many_attempts",
            IdentityError::AlreadyLinked => "already_linked",
            IdentityError::PlatformTaken(_) => "platform_taken",
            IdentityError::NotRoot { .. } => "not_root",
            IdentityError::NotLinked(_) => "not_linked",
        }
    }
}
