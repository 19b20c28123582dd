use serde::{Deserialize, Serialize};

use crate::value::{
    ChannelRef, ChatPlatform, MemberRole, OverlayKeyId, OverlayLabel, PlatformUserId, Timestamp, Username,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TeamEvent {
    MemberAdded(MemberAdded),
    MemberRoleChanged(MemberRoleChanged),
    MemberRemoved(MemberRemoved),
    PasswordSet(PasswordSet),
    OverlayKeyIssued(OverlayKeyIssued),
    OverlayKeyRevoked(OverlayKeyRevoked),
    SignInLinked(SignInLinked),
    SignInUnlinked(SignInUnlinked),
}

impl TeamEvent {
    pub fn name(&self) -> &'static str {
        match self {
            TeamEvent::MemberAdded(_) => "MemberAdded",
            TeamEvent::MemberRoleChanged(_) => "MemberRoleChanged",
            TeamEvent::MemberRemoved(_) => "MemberRemoved",
            TeamEvent::PasswordSet(_) => "PasswordSet",
            TeamEvent::OverlayKeyIssued(_) => "OverlayKeyIssued",
            TeamEvent::OverlayKeyRevoked(_) => "OverlayKeyRevoked",
            TeamEvent::SignInLinked(_) => "SignInLinked",
            TeamEvent::SignInUnlinked(_) => "SignInUnlinked",
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

/// A read-only key for one channel's overlays was issued. `digest` is the
/// hex SHA-256 of the key: 256 random bits, so the digest gives nothing
/// away, and checking a presented key needs no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayKeyIssued {
    pub key_id: OverlayKeyId,
    pub channel: ChannelRef,
    pub label: OverlayLabel,
    pub digest: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayKeyRevoked {
    pub key_id: OverlayKeyId,
    pub at: Timestamp,
}

/// The member signs in with this platform account (Sign in with Twitch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLinked {
    pub username: Username,
    pub platform: ChatPlatform,
    pub user_id: PlatformUserId,
    /// The account's login when linked, to show whose it is.
    pub login: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInUnlinked {
    pub username: Username,
    pub platform: ChatPlatform,
    pub at: Timestamp,
}
