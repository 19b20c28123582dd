//! What the settlers (process managers that finish from the log what the
//! API began) share: the metadata of their commands, and their verdict on
//! a failed step.

use anyhow::Context;
use wavestack_adapters::consumer::group::HandlerError;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, Timestamp};
use wavestack_schemas::LogEnvelope;

/// How long after the first half of a move (a price paid, points spent)
/// a settler waits before deciding the API never wrote the second half.
/// The API writes it right after; a settler that read the first half
/// first would abandon what was on its way, and the viewer's `!join` or
/// `!command` would be refused for nothing. After a killed API the points
/// still come back, a few seconds later.
const API_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits until `API_GRACE` has passed since `at` (at once if it has).
pub(crate) async fn after_the_api(at: Timestamp) {
    let age = time::OffsetDateTime::now_utc() - at.as_datetime();
    // A time ahead of this clock counts as just now.
    if let Some(left) = API_GRACE.checked_sub(age.try_into().unwrap_or_default()) {
        tokio::time::sleep(left).await;
    }
}

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
