//! A publish intent: an asset going out to one or more platforms, each
//! target attempted, published or failed on its own.
//! Aggregate id: `<org>/<publication id>`.

mod command;
mod decide;
mod error;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{CreatePublication, PublicationCommand};
pub use error::PublicationError;
pub use event::{
    PublicationAssetReady, PublicationCancelled, PublicationCreated, PublicationEvent, PublicationRescheduled,
    PublishAttemptStarted, TargetPublishFailed, TargetPublished,
};
pub use state::{PublicationPolicy, PublicationState, TargetStatus};

crate::aggregate::cqrs_aggregate!(PublicationState, PublicationEvent, type = "publication", version = "1");

/// The aggregate id of a publication, scoped by org like a clip's.
pub fn stream_id(
    org: &crate::value::OrgId,
    publication: crate::value::PublicationId,
) -> crate::value::PublicationStreamId {
    crate::value::PublicationStreamId::new(org, publication)
}
