//! A clip: requested → rendering → rendered | failed, with bounded retries.
//! Aggregate id: `<org>/<clip id>`.

mod command;
mod decide;
mod error;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{ClipCommand, RenderedClip, RequestClip};
pub use error::ClipError;
pub use event::{ClipDeleted, ClipEvent, ClipRenderingFailed, ClipRenderingStarted, ClipRequested};
pub use state::{ClipPolicy, ClipState, ClipStatus};

crate::aggregate::cqrs_aggregate!(ClipState, ClipEvent, type = "clip", version = "1");

/// The aggregate id of a clip: scoped by org, so another tenant's clip id
/// names a stream that does not exist for you.
pub fn stream_id(org: &crate::value::OrgId, clip: crate::value::ClipId) -> crate::value::ClipStreamId {
    crate::value::ClipStreamId::new(org, clip)
}
