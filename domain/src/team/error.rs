use thiserror::Error;

use crate::value::{OverlayKeyId, Username};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TeamError {
    #[error("{0} is already a member")]
    Exists(Username),
    #[error("{0} is not a member")]
    Unknown(Username),
    #[error("only an owner may do that")]
    NotOwner,
    #[error("the org would have no owner left")]
    LastOwner,
    #[error("a team holds at most {max} members")]
    Full { max: usize },
    #[error("only an owner or a moderator may do that")]
    NotModerator,
    #[error("no overlay key {0}")]
    UnknownOverlayKey(OverlayKeyId),
    #[error("an org holds at most {max} live overlay keys")]
    TooManyOverlayKeys { max: usize },
    #[error("an overlay key's digest is 64 lowercase hex digits")]
    InvalidDigest,
    #[error("only the member links their own sign-in account")]
    NotSelf,
    #[error("that account signs in as another member of this org")]
    AccountTaken,
    #[error("an account's login is 1 to 64 characters")]
    InvalidLogin,
}

impl TeamError {
    pub fn code(&self) -> &'static str {
        match self {
            TeamError::Exists(_) => "member_exists",
            TeamError::Unknown(_) => "unknown_member",
            TeamError::NotOwner => "forbidden",
            TeamError::LastOwner => "last_owner",
            TeamError::Full { .. } => "too_many_members",
            TeamError::NotModerator => "forbidden",
            TeamError::UnknownOverlayKey(_) => "unknown_overlay_key",
            TeamError::TooManyOverlayKeys { .. } => "too_many_overlay_keys",
            TeamError::InvalidDigest => "invalid_digest",
            TeamError::NotSelf => "forbidden",
            TeamError::AccountTaken => "account_taken",
            TeamError::InvalidLogin => "invalid_login",
        }
    }
}
