use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PollError {
    #[error("there is no such poll")]
    Unknown,
    #[error("the poll is already open")]
    AlreadyOpen,
    #[error("the poll is closed")]
    Closed,
    #[error("the poll was cancelled")]
    Cancelled,
    #[error("you have already voted, and this poll does not take changes")]
    AlreadyVoted,
    #[error("there is no option {given}; pick 1 to {options}")]
    NoSuchOption { given: String, options: usize },
    #[error("{field} must be from {min} to {max}")]
    OutOfRange { field: &'static str, min: u64, max: u64 },
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: &'static str },
}

impl PollError {
    pub fn code(&self) -> &'static str {
        match self {
            PollError::Unknown => "unknown_poll",
            PollError::AlreadyOpen => "already_open",
            PollError::Closed => "poll_closed",
            PollError::Cancelled => "poll_cancelled",
            PollError::AlreadyVoted => "already_voted",
            PollError::NoSuchOption { .. } => "no_such_option",
            PollError::OutOfRange { .. } => "out_of_range",
            PollError::Invalid { .. } => "invalid",
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            PollError::OutOfRange { field, .. } | PollError::Invalid { field, .. } => Some(field),
            PollError::NoSuchOption { .. } => Some("option"),
            _ => None,
        }
    }
}
