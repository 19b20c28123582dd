//! Clip retention: a rendered clip older than the configured age has its
//! files deleted, and the deletion is an event (`ClipDeleted`, by
//! `svc:retention`, with the reason), so the streamer and the auditor see
//! what went and why. The clips are found in the queue read model; the
//! clip aggregate decides (only a rendered clip is deleted, once), so a
//! lagging read model or two retention workers at once delete nothing
//! twice.
//!
//! Files go first, then the event: a crash in between leaves a clip still
//! `rendered` with its files gone, which the next sweep finds again and
//! records (deleting a missing file is no error).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::command_bus::{CommandBus, CommandError};
use wavestack_adapters::media::ClipFiles;
use wavestack_domain::clip::{ClipCommand, ClipError};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, FailureReason, OrgId, Timestamp};
use wavestack_projections::queue::{rendered_before, ExpiredClip};

#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// A clip rendered longer ago than this is deleted.
    pub max_age: Duration,
    /// How often to look.
    pub every: Duration,
    /// Schema of the queue read model.
    pub schema: String,
}

impl RetentionConfig {
    pub fn new(max_age: Duration) -> Self {
        Self { max_age, every: Duration::from_secs(600), schema: "projection_queue".into() }
    }
}

#[derive(Debug)]
pub struct ClipRetention {
    pool: PgPool,
    bus: Arc<CommandBus>,
    files: ClipFiles,
    config: RetentionConfig,
}

/// The containers WaveStack renders to: the only extensions it deletes.
const EXTENSIONS: [&str; 4] = ["mp4", "mov", "webm", "mkv"];

impl ClipRetention {
    pub fn new(pool: PgPool, bus: Arc<CommandBus>, files: ClipFiles, config: RetentionConfig) -> Self {
        Self { pool, bus, files, config }
    }

    /// Sweeps until cancelled.
    pub async fn run(self, cancel: CancellationToken) -> anyhow::Result<()> {
        loop {
            match self.sweep().await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "clips past their retention deleted"),
                Err(error) => tracing::warn!(error = format!("{error:#}"), "clip retention sweep failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(self.config.every) => {}
            }
        }
    }

    /// One pass; how many clips it deleted.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let expired = rendered_before(&self.pool, &self.config.schema, self.config.max_age, 500).await?;
        let mut deleted = 0;
        for clip in expired {
            if self.delete(&clip).await? {
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    async fn delete(&self, clip: &ExpiredClip) -> anyhow::Result<bool> {
        let org = OrgId::parse(clip.org.as_str()).context("the clip's org")?;
        // The paths come from the key, never from the stored URL.
        let extension = clip
            .media_uri
            .as_deref()
            .and_then(|uri| uri.rsplit_once('.'))
            .map(|(_, ext)| ext)
            .filter(|ext| EXTENSIONS.contains(ext));
        for ext in extension.into_iter().chain(["jpg"]) {
            let path = self.files.dir().join(self.files.relative(&org, clip.clip_id, ext));
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error).with_context(|| format!("deleting {}", path.display())),
            }
        }
        let days = self.config.max_age.as_secs_f64() / 86_400.0;
        let reason = FailureReason::parse(format!("retention: rendered more than {days:.0} days ago"))
            .or_else(|_| FailureReason::parse("retention"))
            .expect("a plain reason is valid");
        let now = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
        let metadata = EventMetadata::initiated(org, ActorId::parse("svc:retention").expect("a valid actor id"), now);
        match self.bus.clip.execute(&clip.clip_stream, ClipCommand::DeleteClip { reason }, &metadata).await {
            Ok(_) => Ok(true),
            // Deleted meanwhile (another worker, or the read model lagged).
            Err(CommandError::Rejected(ClipError::IllegalTransition { .. })) => Ok(false),
            Err(error) => Err(error).context("recording the clip's deletion"),
        }
    }
}
