//! Giveaways, polls and linked accounts, from the dashboard or a bot.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenGiveawayBody {
    /// Up to 200 characters.
    #[serde(default)]
    pub title: String,
    /// `platform/channel`, 1 to 10.
    pub channels: Vec<String>,
    /// Typed with the channel's prefix; default `join`.
    pub keyword: Option<String>,
    /// Points an entry costs, taken once; default 0.
    #[serde(default)]
    pub cost: u64,
    /// Default `everyone`.
    pub min_level: Option<String>,
    /// How many times a subscriber's entry weighs, 1 to 10; default 1.
    pub subscriber_luck: Option<u32>,
    /// RFC 3339; entries after it are refused.
    pub closes_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Winner {
    pub entry: u32,
    pub person: String,
    pub account: String,
    pub author: String,
}

/// A giveaway after the step: where it is, its commitment, and the last
/// draw's winners with the revealed seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GiveawayBody {
    pub giveaway_id: String,
    pub aggregate_id: String,
    pub sequence: u64,
    pub phase: String,
    pub entries: usize,
    pub commitment: String,
    pub seed: Option<String>,
    pub winners: Vec<Winner>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    /// Winners to pick, 1 to 100; default 1.
    pub count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedrawBody {
    /// The winner who did not answer: their person, `platform:user`.
    pub replace: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenPollBody {
    /// 1 to 200 characters.
    pub question: String,
    /// 2 to 10, each 1 to 50 characters, distinct, not bare numbers.
    pub options: Vec<String>,
    /// `platform/channel`, 1 to 10.
    pub channels: Vec<String>,
    /// 10 to 86,400.
    pub duration_seconds: u32,
    /// Whether a person may change their vote; default false.
    #[serde(default)]
    pub allow_change: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PollBody {
    pub poll_id: String,
    pub aggregate_id: String,
    pub sequence: u64,
    pub phase: String,
    pub options: Vec<String>,
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnlinkedBody {
    pub unlinked: Vec<String>,
}
