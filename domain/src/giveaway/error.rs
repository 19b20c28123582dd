use thiserror::Error;

use crate::value::UserLevel;

/// Refusals: each is a reply in chat or a JSON error, and writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GiveawayError {
    #[error("there is no such giveaway")]
    Unknown,
    #[error("the giveaway is already open")]
    AlreadyOpen,
    #[error("the giveaway is closed")]
    Closed,
    #[error("the giveaway was cancelled")]
    Cancelled,
    #[error("the giveaway is still open; close or draw it first")]
    StillOpen,
    #[error("you have already entered")]
    AlreadyEntered,
    #[error("entering needs {0} or higher")]
    Level(UserLevel),
    #[error("the giveaway is full ({max} entries)")]
    Full { max: usize },
    #[error("there is nobody left to draw")]
    NobodyToDraw,
    #[error("the seed does not match the commitment published at open")]
    SeedMismatch,
    #[error("{0} is not a winner of this giveaway")]
    NotAWinner(String),
    #[error("{field} must be from {min} to {max}")]
    OutOfRange { field: &'static str, min: u64, max: u64 },
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: &'static str },
}

impl GiveawayError {
    pub fn code(&self) -> &'static str {
        match self {
            GiveawayError::Unknown => "unknown_giveaway",
            GiveawayError::AlreadyOpen => "already_open",
            GiveawayError::Closed => "giveaway_closed",
            GiveawayError::Cancelled => "giveaway_cancelled",
            GiveawayError::StillOpen => "still_open",
            GiveawayError::AlreadyEntered => "already_entered",
            GiveawayError::Level(_) => "level",
            GiveawayError::Full { .. } => "full",
            GiveawayError::NobodyToDraw => "nobody_to_draw",
            GiveawayError::SeedMismatch => "seed_mismatch",
            GiveawayError::NotAWinner(_) => "not_a_winner",
            GiveawayError::OutOfRange { .. } => "out_of_range",
            GiveawayError::Invalid { .. } => "invalid",
        }
    }

    /// The field at fault, for a JSON refusal.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            GiveawayError::OutOfRange { field, .. } | GiveawayError::Invalid { field, .. } => Some(field),
            GiveawayError::SeedMismatch => Some("seed"),
            GiveawayError::NotAWinner(_) => Some("replace"),
            _ => None,
        }
    }
}
