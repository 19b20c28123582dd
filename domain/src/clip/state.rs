use std::fmt;

use serde::{Deserialize, Serialize};

use super::command::RenderedClip;
use super::event::{ClipEvent, ClipRequested};

/// How many times a clip may be rendered before a failure becomes final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipPolicy {
    pub max_attempts: u32,
}

impl Default for ClipPolicy {
    fn default() -> Self {
        Self { max_attempts: 3 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClipStatus {
    Requested,
    Rendering,
    Rendered,
    /// `retryable`: another attempt is allowed.
    Failed {
        retryable: bool,
    },
    /// Rendered once; its files are gone.
    Deleted,
}

impl fmt::Display for ClipStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClipStatus::Requested => "requested",
            ClipStatus::Rendering => "rendering",
            ClipStatus::Rendered => "rendered",
            ClipStatus::Failed { .. } => "failed",
            ClipStatus::Deleted => "deleted",
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClipState {
    pub(crate) request: Option<ClipRequested>,
    pub(crate) status: Option<ClipStatus>,
    pub(crate) attempts: u32,
    #[serde(default)]
    pub(crate) rendered: Option<RenderedClip>,
}

impl ClipState {
    pub fn status(&self) -> Option<ClipStatus> {
        self.status
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The output, once rendered.
    pub fn rendered(&self) -> Option<&RenderedClip> {
        self.rendered.as_ref()
    }

    pub(crate) fn evolve(&mut self, event: &ClipEvent) {
        match event {
            ClipEvent::ClipRequested(requested) => {
                self.request = Some(requested.clone());
                self.status = Some(ClipStatus::Requested);
            }
            ClipEvent::ClipRenderingStarted(started) => {
                self.attempts = started.attempt;
                self.status = Some(ClipStatus::Rendering);
            }
            ClipEvent::ClipRendered(rendered) => {
                self.status = Some(ClipStatus::Rendered);
                self.rendered = Some(rendered.clone());
            }
            ClipEvent::ClipRenderingFailed(failed) => {
                self.status = Some(ClipStatus::Failed { retryable: failed.retryable })
            }
            ClipEvent::ClipDeleted(_) => {
                self.status = Some(ClipStatus::Deleted);
                self.rendered = None;
            }
        }
    }
}
