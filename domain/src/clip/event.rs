use serde::{Deserialize, Serialize};

use super::command::RenderedClip;
use crate::value::{ActorId, ChannelId, ClipDuration, ClipId, ClipSource, ClipStart, Container, FailureReason, Title};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClipEvent {
    ClipRequested(ClipRequested),
    ClipRenderingStarted(ClipRenderingStarted),
    ClipRendered(RenderedClip),
    ClipRenderingFailed(ClipRenderingFailed),
    ClipDeleted(ClipDeleted),
}

impl ClipEvent {
    pub fn name(&self) -> &'static str {
        match self {
            ClipEvent::ClipRequested(_) => "ClipRequested",
            ClipEvent::ClipRenderingStarted(_) => "ClipRenderingStarted",
            ClipEvent::ClipRendered(_) => "ClipRendered",
            ClipEvent::ClipRenderingFailed(_) => "ClipRenderingFailed",
            ClipEvent::ClipDeleted(_) => "ClipDeleted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipRequested {
    pub clip_id: ClipId,
    pub channel: ChannelId,
    pub source: ClipSource,
    pub start: ClipStart,
    pub duration: ClipDuration,
    pub container: Container,
    pub reencode: bool,
    pub title: Title,
    pub requested_by: ActorId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipRenderingStarted {
    /// 1 for the first attempt.
    pub attempt: u32,
    pub worker: ActorId,
}

/// The clip's files were deleted; why (e.g. the retention period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipDeleted {
    pub reason: FailureReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipRenderingFailed {
    pub attempt: u32,
    pub reason: FailureReason,
    /// Whether another attempt is allowed: the failure was transient and
    /// attempts remain. `false` makes the failure final.
    pub retryable: bool,
}
