//! What the settlers (process managers that finish from the log what the
//! API began) share: the metadata of their commands, and their verdict on
//! a failed step.

use anyhow::Context;
use sqlx::PgPool;
use wavestack_adapters::consumer::group::HandlerError;
use wavestack_adapters::event_store::reads;
use wavestack_adapters::writer;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, Timestamp};
use wavestack_schemas::LogEnvelope;

/// How often a settler looks again at a half-done move whose writer still
/// runs. The writer finishes it in milliseconds, or in seconds when busy.
const LOOK_AGAIN: std::time::Duration = std::time::Duration::from_millis(100);

/// Waits until the half-done move the envelope began is the settler's to
/// finish: its writer finished it (`finished` says so) or can no longer
/// (its writer lease is free: the process died, or let go). No clock
/// decides: a writer slower than any grace keeps its move, and a killed
/// one's moves are finished as soon as Postgres has ended its session.
/// An event that names no writer (written before writers were named, or
/// by a tool) is the settler's at once.
pub(crate) async fn until_the_writer_is_done<F, Fut>(
    pool: &PgPool,
    envelope: &LogEnvelope,
    finished: F,
) -> Result<(), HandlerError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<bool, HandlerError>>,
{
    let aggregate_type = envelope.event.kind().aggregate_type();
    let sequence = i64::try_from(envelope.sequence).unwrap_or(i64::MAX);
    let writer = reads::writer_of(pool, aggregate_type, &envelope.aggregate_id, sequence).await.map_err(store)?;
    let Some(writer) = writer else { return Ok(()) };
    loop {
        if finished().await? || writer::is_gone(pool, writer).await.map_err(store)? {
            return Ok(());
        }
        tokio::time::sleep(LOOK_AGAIN).await;
    }
}

fn store(error: sqlx::Error) -> HandlerError {
    HandlerError::Transient(anyhow::Error::new(error).context("asking the store about a move's writer"))
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
