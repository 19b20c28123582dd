use serde::{Deserialize, Serialize};

use crate::value::{
    ActorId, ChannelId, ClipDuration, ClipId, ClipSource, ClipStart, Container, ContentHash, FailureReason, MediaUri,
    Title,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipCommand {
    RequestClip(RequestClip),
    /// A renderer claims the clip.
    StartRendering {
        worker: ActorId,
    },
    CompleteRendering(RenderedClip),
    FailRendering {
        reason: FailureReason,
        retryable: bool,
    },
    /// The rendered files are deleted (retention, or the org asked): the
    /// clip stays in the log, its files go.
    DeleteClip {
        reason: FailureReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestClip {
    pub clip_id: ClipId,
    pub channel: ChannelId,
    pub source: ClipSource,
    pub start: ClipStart,
    pub duration: ClipDuration,
    pub container: Container,
    /// Re-encode to H.264/AAC instead of stream copy.
    pub reencode: bool,
    pub title: Title,
    pub requested_by: ActorId,
}

/// What the renderer produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedClip {
    pub uri: MediaUri,
    pub thumbnail_uri: MediaUri,
    /// As probed from the output, not as requested.
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub sha256: ContentHash,
}
