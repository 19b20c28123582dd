use thiserror::Error;

use crate::value::Username;

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
}

impl TeamError {
    pub fn code(&self) -> &'static str {
        match self {
            TeamError::Exists(_) => "member_exists",
            TeamError::Unknown(_) => "unknown_member",
            TeamError::NotOwner => "forbidden",
            TeamError::LastOwner => "last_owner",
            TeamError::Full { .. } => "too_many_members",
        }
    }
}
