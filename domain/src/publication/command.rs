use crate::value::{
    Asset, AssetUrl, Caption, FailureReason, Hashtags, IdempotencyKey, MediaUri, PostId, PublicationId, TargetPlatform,
    Targets, Timestamp, Title,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicationCommand {
    CreatePublication(CreatePublication),
    /// The clip this publication waits for has been rendered.
    MarkAssetReady {
        media_uri: MediaUri,
    },
    Reschedule {
        scheduled_at: Timestamp,
    },
    Cancel,
    /// A publisher starts uploading to one target. `at` is the publisher's
    /// clock; attempts before the schedule or the next retry time are refused.
    StartAttempt {
        target: TargetPlatform,
        at: Timestamp,
    },
    RecordPublished {
        target: TargetPlatform,
        post_id: PostId,
        url: Option<AssetUrl>,
    },
    RecordFailure {
        target: TargetPlatform,
        error: FailureReason,
        retryable: bool,
        next_retry_at: Option<Timestamp>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePublication {
    pub publication_id: PublicationId,
    pub asset: Asset,
    pub targets: Targets,
    pub title: Title,
    pub caption: Caption,
    pub hashtags: Hashtags,
    /// `None`: as soon as the asset is ready.
    pub scheduled_at: Option<Timestamp>,
    pub idempotency_key: Option<IdempotencyKey>,
}
