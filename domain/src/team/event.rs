use serde::{Deserialize, Serialize};

use crate::value::{MemberRole, Timestamp, Username};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamEvent {
    MemberAdded(MemberAdded),
    MemberRoleChanged(MemberRoleChanged),
    MemberRemoved(MemberRemoved),
    PasswordSet(PasswordSet),
}

impl TeamEvent {
    pub fn name(&self) -> &'static str {
        match self {
            TeamEvent::MemberAdded(_) => "MemberAdded",
            TeamEvent::MemberRoleChanged(_) => "MemberRoleChanged",
            TeamEvent::MemberRemoved(_) => "MemberRemoved",
            TeamEvent::PasswordSet(_) => "PasswordSet",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAdded {
    pub username: Username,
    pub role: MemberRole,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRoleChanged {
    pub username: Username,
    pub role: MemberRole,
    pub previous: MemberRole,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRemoved {
    pub username: Username,
    pub at: Timestamp,
}

/// A password was set; the hash is not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordSet {
    pub username: Username,
    pub at: Timestamp,
}
