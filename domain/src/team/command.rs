use crate::value::{MemberRole, Timestamp, Username};

/// Who asks: a member (whose role the rules check), or the operator from
/// the CLI (who may do anything, e.g. create the first owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamCommand {
    Add {
        username: Username,
        role: MemberRole,
        by: Option<Username>,
        at: Timestamp,
    },
    ChangeRole {
        username: Username,
        role: MemberRole,
        by: Option<Username>,
        at: Timestamp,
    },
    Remove {
        username: Username,
        by: Option<Username>,
        at: Timestamp,
    },
    /// The member's own, or an owner's reset.
    RecordPasswordSet {
        username: Username,
        by: Option<Username>,
        at: Timestamp,
    },
}
