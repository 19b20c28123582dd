//! Clip requests (`POST /v1/clips`) and the renderer's report of how a
//! render ended.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accepted::AcceptedBody;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestClipBody {
    pub channel: String,
    /// A path under the renderer's media root, or an http(s) URL.
    pub source: String,
    pub start_seconds: f64,
    pub duration_seconds: f64,
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub reencode: bool,
    #[serde(default)]
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClipAccepted {
    pub clip_id: Uuid,
    #[serde(flatten)]
    pub accepted: AcceptedBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    pub uri: String,
    pub thumbnail_uri: String,
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailBody {
    pub reason: String,
    /// Whether another attempt may succeed (a timeout, a full disk).
    pub retryable: bool,
}
