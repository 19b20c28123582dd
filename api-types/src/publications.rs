//! Publications: what to post where and when (`POST /v1/publications`),
//! and the publisher's reports of each attempt.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accepted::AcceptedBody;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetBody {
    #[serde(default)]
    pub clip_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// `{"clip_id": "…"}` or `{"url": "https://…"}`.
    pub asset: AssetBody,
    pub targets: Vec<String>,
    pub title: String,
    #[serde(default)]
    pub caption: String,
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// RFC 3339; absent means as soon as the asset is ready.
    #[serde(default)]
    pub scheduled_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicationAccepted {
    pub publication_id: Uuid,
    #[serde(flatten)]
    pub accepted: AcceptedBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    pub scheduled_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetReadyBody {
    pub media_uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptBody {
    pub target: String,
    /// When the attempt starts; now if absent.
    #[serde(default)]
    pub at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedBody {
    pub target: String,
    pub post_id: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailedBody {
    pub target: String,
    pub error: String,
    pub retryable: bool,
    /// When to try again; the publisher's backoff decides if absent.
    #[serde(default)]
    pub next_retry_at: Option<String>,
}
