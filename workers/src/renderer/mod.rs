//! The clip renderer: a worker group (`renderer`) on the clip topic. For
//! each clip request it claims the clip (`StartRendering`), renders it with
//! ffmpeg and reports `CompleteRendering` or `FailRendering` through the
//! command bus, so the clip aggregate keeps enforcing the state machine:
//! a request delivered again after a crash finds the clip rendered (done)
//! or left rendering (taken over as a new attempt), and only one
//! `ClipRendered` is ever recorded.

mod job;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::media::{RenderQuota, Renderer};
use wavestack_domain::clip::ClipEvent;
use wavestack_domain::value::{ActorId, ClipId};
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use wavestack_adapters::consumer::group::{GroupConfig, Handler, HandlerError};

#[derive(Debug, Clone)]
pub struct ClipRenderer {
    bus: Arc<CommandBus>,
    renderer: Arc<Renderer>,
    /// Bounds the ffmpeg runs of this process across its partitions.
    slots: Arc<Semaphore>,
    worker: ActorId,
    /// First pause before retrying a transient failure; doubled per attempt.
    retry_base: Duration,
    /// Each org's share of the renderers, given back as clips finish.
    quota: Option<RenderQuota>,
}

impl ClipRenderer {
    pub fn new(bus: Arc<CommandBus>, renderer: Renderer, worker: ActorId, max_jobs: usize) -> Self {
        Self {
            bus,
            renderer: Arc::new(renderer),
            slots: Arc::new(Semaphore::new(max_jobs.max(1))),
            worker,
            retry_base: Duration::from_secs(2),
            quota: None,
        }
    }

    pub fn with_quota(mut self, quota: RenderQuota) -> Self {
        self.quota = Some(quota);
        self
    }

    /// The clip is rendered or failed for good: its org's share goes back.
    /// A lost release only costs the org until the reservation goes stale.
    async fn finished(&self, clip_id: ClipId) {
        if let Some(quota) = &self.quota {
            if let Err(error) = quota.release(clip_id.as_uuid()).await {
                tracing::warn!(clip = %clip_id, error = format!("{error:#}"), "could not release render time");
            }
        }
    }

    pub fn with_retry_base(mut self, retry_base: Duration) -> Self {
        self.retry_base = retry_base;
        self
    }

    pub fn group_config() -> GroupConfig {
        GroupConfig::new("renderer", vec![AggregateKind::Clip])
    }
}

impl Handler for ClipRenderer {
    async fn handle(&self, envelope: LogEnvelope) -> Result<(), HandlerError> {
        match &envelope.event {
            LogEvent::Clip(ClipEvent::ClipRequested(request)) => job::run(self, &envelope, request).await,
            _ => Ok(()),
        }
    }
}
