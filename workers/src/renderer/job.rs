//! One clip request, from claim to report, retrying transient failures
//! with exponential backoff and jitter while the aggregate allows attempts.

use std::time::Duration;

use wavestack_adapters::command_bus::CommandError;
use wavestack_domain::clip::{self, ClipCommand, ClipError, ClipRequested, ClipStatus};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{FailureReason, Timestamp};
use wavestack_schemas::LogEnvelope;

use super::ClipRenderer;
use crate::retry::{backoff, truncate};
use wavestack_adapters::consumer::group::HandlerError;

/// The longest pause between attempts.
const MAX_PAUSE: Duration = Duration::from_secs(60);

pub(super) async fn run(
    renderer: &ClipRenderer,
    envelope: &LogEnvelope,
    request: &ClipRequested,
) -> Result<(), HandlerError> {
    let stream = clip::stream_id(&envelope.metadata.org, request.clip_id);
    let clip_id = request.clip_id;
    loop {
        let claim = ClipCommand::StartRendering { worker: renderer.worker.clone() };
        let attempt = match renderer.bus.clip.execute(&stream, claim, &metadata(renderer, envelope)).await {
            Ok(accepted) => accepted.sequence,
            // Rendered already (by us before a crash, or by another worker),
            // or given up on: nothing left to do.
            Err(CommandError::Rejected(
                ClipError::IllegalTransition { from: ClipStatus::Rendered | ClipStatus::Deleted, .. }
                | ClipError::FailureNotRetryable
                | ClipError::RetryLimitReached { .. },
            )) => {
                tracing::info!(clip = %clip_id, "clip already rendered or given up; skipping");
                renderer.finished(clip_id).await;
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        };
        let rendered = {
            let _slot = renderer.slots.acquire().await.map_err(HandlerError::permanent)?;
            let started = std::time::Instant::now();
            let outcome = renderer.renderer.render(&envelope.metadata.org, request).await;
            metrics::histogram!("wavestack_render_seconds").record(started.elapsed().as_secs_f64());
            outcome
        };
        let failure = match rendered {
            Ok(rendered) => {
                let complete = ClipCommand::CompleteRendering(rendered.clip);
                return match renderer.bus.clip.execute(&stream, complete, &metadata(renderer, envelope)).await {
                    Ok(_) => {
                        tracing::info!(clip = %clip_id, "clip rendered");
                        metrics::counter!("wavestack_clips_rendered_total").increment(1);
                        renderer.finished(clip_id).await;
                        Ok(())
                    }
                    // Another worker finished first; the files are the same cut.
                    Err(CommandError::Rejected(ClipError::IllegalTransition {
                        from: ClipStatus::Rendered, ..
                    })) => {
                        renderer.finished(clip_id).await;
                        Ok(())
                    }
                    Err(error) => Err(error.into()),
                };
            }
            Err(failure) => failure,
        };
        tracing::warn!(clip = %clip_id, reason = %failure.reason, retryable = failure.retryable, "render failed");
        metrics::counter!("wavestack_render_failures_total", "retryable" => failure.retryable.to_string()).increment(1);
        let reason = FailureReason::parse(truncate(&failure.reason, 500))
            .or_else(|_| FailureReason::parse("ffmpeg failed"))
            .expect("a plain reason is valid");
        let fail = ClipCommand::FailRendering { reason, retryable: failure.retryable };
        let recorded = renderer.bus.clip.execute(&stream, fail, &metadata(renderer, envelope)).await?;
        // The aggregate says whether another attempt is allowed.
        let state = renderer.bus.clip.load(&stream).await?;
        let retry = matches!(state.status(), Some(ClipStatus::Failed { retryable: true }));
        if !retry {
            tracing::info!(clip = %clip_id, sequence = recorded.sequence, "clip failed for good");
            renderer.finished(clip_id).await;
            return Ok(());
        }
        let pause = backoff(renderer.retry_base, state.attempts(), MAX_PAUSE);
        tracing::info!(clip = %clip_id, attempt, ?pause, "retrying the render");
        tokio::time::sleep(pause).await;
    }
}

/// The worker's commands belong to the request's workflow.
fn metadata(renderer: &ClipRenderer, envelope: &LogEnvelope) -> EventMetadata {
    EventMetadata {
        org: envelope.metadata.org.clone(),
        actor: renderer.worker.clone(),
        correlation_id: envelope.metadata.correlation_id,
        causation_id: Some(envelope.event_id),
        request_id: None,
        occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    }
}
