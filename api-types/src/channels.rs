//! A channel's settings, under `/v1/channels/{platform}/{channel}`: its
//! custom commands, prefix, built-ins, points policy, and what the
//! dashboard has the bot say.

use serde::{Deserialize, Serialize};

/// `"alias_of": null` is `Some(None)`; a missing field stays `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandBody {
    #[schema(pattern = "^!?[A-Za-z0-9_]{1,32}$", example = "!hug")]
    pub name: String,
    /// The response template, at most 500 characters (docs/streamers.md lists its variables).
    #[serde(default)]
    #[schema(max_length = 500, example = "$(user) hugs $(touser)")]
    pub response: String,
    #[serde(default)]
    #[schema(pattern = "^!?[A-Za-z0-9_]{1,32}$")]
    pub alias_of: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^(everyone|subscriber|vip|regular|moderator|broadcaster)$")]
    pub min_level: Option<String>,
    #[serde(default)]
    pub cooldown_seconds: Option<u32>,
    #[serde(default)]
    pub user_cooldown_seconds: Option<u32>,
    #[serde(default)]
    pub cost: Option<u64>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// An edit: only the fields given change. `alias_of: null` ends an alias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    #[serde(default)]
    pub response: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub alias_of: Option<Option<String>>,
    #[serde(default)]
    pub min_level: Option<String>,
    #[serde(default)]
    pub cooldown_seconds: Option<u32>,
    #[serde(default)]
    pub user_cooldown_seconds: Option<u32>,
    #[serde(default)]
    pub cost: Option<u64>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A channel's points policy, every field required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsPolicyBody {
    /// 0 to 1,000,000.
    pub points_per_message: u64,
    /// 0 to 86,400.
    pub cooldown_seconds: u32,
    /// 0 (off) to 1,000,000.
    pub daily_bonus: u64,
    /// 0 to 1,000.
    pub subscriber_percent: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixBody {
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuiltinBody {
    pub name: Option<String>,
    pub enabled: bool,
}

/// What the dashboard has the bot say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SayBody {
    /// 1 to 500 characters; cut to the platform's length.
    #[schema(min_length = 1, max_length = 500)]
    pub text: String,
}

/// What support pays in points; every field required, each 0 to
/// 1,000,000 (0 pays nothing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportPolicyBody {
    pub per_follow: u64,
    pub per_sub_tier1: u64,
    pub per_sub_tier2: u64,
    pub per_sub_tier3: u64,
    /// Per whole 100 bits cheered.
    pub per_100_bits: u64,
    /// Paid to the raiding broadcaster per viewer brought.
    pub per_raid_viewer: u64,
}

/// One kind of support's alert on the alerts overlay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertBody {
    /// 1 to 200 characters; `$(user)`, `$(amount)`, `$(tier)`, `$(message)`,
    /// `$(reward)` and `$(points)` are filled in.
    #[schema(min_length = 1, max_length = 200, example = "$(user) cheered $(amount) bits!")]
    pub template: String,
    pub enabled: bool,
}
