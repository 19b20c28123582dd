//! An org's team (members and their roles) and its overlay keys.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// 2 to 32 lowercase letters, digits and `-_.`.
    #[schema(pattern = "^[a-z0-9_.-]{2,32}$", example = "mo")]
    pub username: String,
    #[schema(pattern = "^(owner|moderator|viewer)$")]
    pub role: String,
    /// Their first password: 12 to 256 characters. Never logged, never on
    /// the log; kept as an argon2id hash.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    #[schema(pattern = "^(owner|moderator|viewer)$")]
    pub role: String,
}

/// Who joined, with which role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberAddedBody {
    pub username: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverlayKeyBody {
    #[schema(pattern = "^(twitch|discord|youtube|slack)$")]
    pub platform: String,
    pub channel: String,
    /// What to call it ("OBS main scene"), 1 to 60 characters.
    #[schema(min_length = 1, max_length = 60)]
    pub label: String,
}

/// The new key: shown this once, kept only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedKeyBody {
    pub id: Uuid,
    pub key: String,
    pub platform: String,
    pub channel: String,
    pub label: String,
}

/// A member's own new password, with the current one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeBody {
    pub current_password: String,
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// An owner's reset of a member's password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetBody {
    /// 12 to 256 characters; tell it to the member out of band.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}
