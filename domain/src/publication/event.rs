use serde::{Deserialize, Serialize};

use crate::value::{
    Asset, AssetUrl, Caption, FailureReason, Hashtags, IdempotencyKey, MediaUri, PostId, PublicationId, TargetPlatform,
    Targets, Timestamp, Title,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PublicationEvent {
    PublicationCreated(PublicationCreated),
    PublicationAssetReady(PublicationAssetReady),
    PublicationRescheduled(PublicationRescheduled),
    PublicationCancelled(PublicationCancelled),
    PublishAttemptStarted(PublishAttemptStarted),
    TargetPublished(TargetPublished),
    TargetPublishFailed(TargetPublishFailed),
}

impl PublicationEvent {
    pub fn name(&self) -> &'static str {
        match self {
            PublicationEvent::PublicationCreated(_) => "PublicationCreated",
            PublicationEvent::PublicationAssetReady(_) => "PublicationAssetReady",
            PublicationEvent::PublicationRescheduled(_) => "PublicationRescheduled",
            PublicationEvent::PublicationCancelled(_) => "PublicationCancelled",
            PublicationEvent::PublishAttemptStarted(_) => "PublishAttemptStarted",
            PublicationEvent::TargetPublished(_) => "TargetPublished",
            PublicationEvent::TargetPublishFailed(_) => "TargetPublishFailed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationCreated {
    pub publication_id: PublicationId,
    pub asset: Asset,
    pub targets: Targets,
    pub title: Title,
    pub caption: Caption,
    pub hashtags: Hashtags,
    pub scheduled_at: Option<Timestamp>,
    pub idempotency_key: Option<IdempotencyKey>,
    /// True when the asset is a clip: publishing waits for its render.
    pub waiting_for_asset: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationAssetReady {
    pub media_uri: MediaUri,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationRescheduled {
    pub scheduled_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationCancelled {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishAttemptStarted {
    pub target: TargetPlatform,
    pub attempt: u32,
    pub started_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetPublished {
    pub target: TargetPlatform,
    pub attempt: u32,
    pub post_id: PostId,
    pub url: Option<AssetUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetPublishFailed {
    pub target: TargetPlatform,
    pub attempt: u32,
    pub error: FailureReason,
    /// When the next attempt may start; `None` with `gave_up` false means
    /// at once.
    pub next_retry_at: Option<Timestamp>,
    /// The failure was permanent or the last allowed attempt.
    pub gave_up: bool,
}
