use crate::value::{
    ChannelRef, ChatPlatform, MemberRole, OverlayKeyId, OverlayLabel, PlatformUserId, Timestamp, Username,
};

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
    /// A read-only key for one channel's overlays. The key is made at the
    /// edge; only its SHA-256 (hex) comes here and goes on the log.
    IssueOverlayKey {
        key_id: OverlayKeyId,
        channel: ChannelRef,
        label: OverlayLabel,
        digest: String,
        by: Option<Username>,
        at: Timestamp,
    },
    RevokeOverlayKey {
        key_id: OverlayKeyId,
        by: Option<Username>,
        at: Timestamp,
    },
    /// The member signs in with this platform account from now on. Only
    /// the member links their own, once the platform proved the account
    /// theirs (an OAuth sign-in): no one else may sign in as them.
    LinkSignIn {
        username: Username,
        platform: ChatPlatform,
        user_id: PlatformUserId,
        login: String,
        by: Username,
        at: Timestamp,
    },
    /// The member themself, or an owner, ends that sign-in.
    UnlinkSignIn {
        username: Username,
        platform: ChatPlatform,
        by: Option<Username>,
        at: Timestamp,
    },
}
