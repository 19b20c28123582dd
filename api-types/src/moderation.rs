//! A channel's filters and escalation ladder, and a moderator's action
//! on a viewer.

use serde::{Deserialize, Serialize};

use crate::accepted::AcceptedBody;
use crate::chat::Action;

/// One filter's settings. Fields not given keep their current value (the
/// default while the filter was never set); a field another filter has is
/// refused. docs/streamers.md gives each filter's fields and defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterBody {
    pub enabled: Option<bool>,
    /// Among subscriber, vip and regular; moderators and the broadcaster
    /// are always exempt.
    pub exempt: Option<Vec<String>>,
    /// caps, symbols.
    pub min_length: Option<u32>,
    /// caps, symbols: 1 to 100.
    pub max_percent: Option<u32>,
    /// links: domains whose links (and their subdomains') pass.
    pub allowed_domains: Option<Vec<String>>,
    /// banned_terms: words and phrases.
    pub terms: Option<Vec<String>>,
    /// banned_terms: regular expressions (Rust `regex` syntax).
    pub patterns: Option<Vec<String>>,
    /// repetition.
    pub max_char_run: Option<u32>,
    /// repetition.
    pub max_word_repeats: Option<u32>,
    /// repetition: 0 turns the same-message check off.
    pub same_message_seconds: Option<u32>,
    /// emotes.
    pub max_emotes: Option<u32>,
    /// emotes.
    pub max_mentions: Option<u32>,
    /// length.
    pub max_length: Option<u32>,
    /// flood.
    pub max_messages: Option<u32>,
    /// flood.
    pub per_seconds: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationBody {
    /// 1 to 10 steps: the n-th live strike takes the n-th; later strikes the last.
    pub ladder: Vec<StepBody>,
    /// How long a strike counts: 1 s to 14 days; 3600 if absent.
    pub strike_expiry_seconds: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// delete, timeout or ban.
    #[schema(pattern = "^(delete|timeout|ban)$")]
    pub action: String,
    /// A timeout's length (1 s to 14 days); nothing for delete and ban.
    pub seconds: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerateBody {
    /// timeout, ban, unban, pardon (clears strikes) or permit (one link).
    #[schema(pattern = "^(timeout|ban|unban|pardon|permit)$")]
    pub action: String,
    /// A timeout's length (default 600, at most 14 days) or a permit's
    /// window (default 60, at most 3600); nothing for the others.
    pub seconds: Option<u32>,
    /// Up to 500 characters, for the moderation log and the platform.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

/// A moderator's `202`: what was written, and what the gateway should do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModeratedBody {
    #[serde(flatten)]
    pub accepted: AcceptedBody,
    pub actions: Vec<Action>,
}
