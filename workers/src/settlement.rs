//! What the settlers (process managers that finish from the log what the
//! API began) share: the metadata of their commands, and their verdict on
//! a failed step.

use anyhow::Context;
use wavestack_adapters::consumer::group::HandlerError;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, Timestamp};
use wavestack_schemas::LogEnvelope;

/// A settler's command: its own actor, caused by the event it settles, in
/// that event's org and correlation.
pub(crate) fn metadata(settler: &str, envelope: &LogEnvelope) -> Result<EventMetadata, HandlerError> {
    Ok(EventMetadata {
        actor: ActorId::parse(format!("svc:{settler}")).context("the settler's actor id")?,
        causation_id: Some(envelope.event_id),
        request_id: None,
        occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
        ..envelope.metadata.clone()
    })
}

/// Retried when it may succeed later (a conflict, the store down); sent
/// to the dead letters otherwise.
pub(crate) fn verdict<E: std::error::Error + Send + Sync + 'static>(error: E, transient: bool) -> HandlerError {
    if transient {
        HandlerError::Transient(error.into())
    } else {
        HandlerError::permanent(error)
    }
}
