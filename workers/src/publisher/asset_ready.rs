//! Publications of a clip wait for its render. This worker group
//! (`asset-ready`, on the clip and publication topics) marks their asset
//! ready with the rendered file's URL, whichever comes first:
//!
//! - a publication created: it is remembered under its clip, then the clip
//!   is loaded, and if it is rendered already the asset is marked ready;
//! - a clip rendered: every publication remembered under it is marked.
//!
//! The remembering commits before the clip is loaded, and a render commits
//! before its event is read, so one of the two always sees the other.

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use wavestack_adapters::command_bus::{CommandBus, CommandError};
use wavestack_domain::clip::{self, ClipEvent};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::publication::{PublicationCommand, PublicationError, PublicationEvent};
use wavestack_domain::value::{ActorId, Asset, MediaUri, Timestamp};
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use wavestack_adapters::consumer::group::{GroupConfig, Handler, HandlerError};

#[derive(Debug, Clone)]
pub struct AssetReady {
    pool: PgPool,
    bus: Arc<CommandBus>,
}

impl AssetReady {
    pub fn new(pool: PgPool, bus: Arc<CommandBus>) -> Self {
        Self { pool, bus }
    }

    pub fn group_config() -> GroupConfig {
        GroupConfig::new("asset-ready", vec![AggregateKind::Clip, AggregateKind::Publication])
    }

    async fn mark(&self, envelope: &LogEnvelope, publication: &str, media_uri: &MediaUri) -> Result<(), HandlerError> {
        // The worker acts, on behalf of the request's workflow (correlation)
        // because of the event it read (causation).
        let metadata = EventMetadata {
            actor: ActorId::parse("svc:asset-ready").expect("a valid actor id"),
            causation_id: Some(envelope.event_id),
            request_id: None,
            occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            ..envelope.metadata.clone()
        };
        let command = PublicationCommand::MarkAssetReady { media_uri: media_uri.clone() };
        match self.bus.publication.execute(publication, command, &metadata).await {
            Ok(_) => Ok(()),
            // Cancelled meanwhile: nothing to publish.
            Err(CommandError::Rejected(PublicationError::Cancelled)) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

impl Handler for AssetReady {
    async fn handle(&self, envelope: LogEnvelope) -> Result<(), HandlerError> {
        match &envelope.event {
            LogEvent::Publication(PublicationEvent::PublicationCreated(created)) => {
                let Asset::Clip(clip_id) = &created.asset else { return Ok(()) };
                let clip_stream = clip::stream_id(&envelope.metadata.org, *clip_id);
                sqlx::query("INSERT INTO worker_publication_clips VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(clip_stream.as_str())
                    .bind(&envelope.aggregate_id)
                    .execute(&self.pool)
                    .await
                    .context("remembering the publication's clip")?;
                let clip = self.bus.clip.load(&clip_stream).await?;
                if let Some(rendered) = clip.rendered() {
                    self.mark(&envelope, &envelope.aggregate_id, &rendered.uri).await?;
                }
                Ok(())
            }
            LogEvent::Clip(ClipEvent::ClipRendered(rendered)) => {
                let publications: Vec<String> = sqlx::query_scalar(
                    "SELECT publication_stream FROM worker_publication_clips WHERE clip_stream = $1",
                )
                .bind(&envelope.aggregate_id)
                .fetch_all(&self.pool)
                .await
                .context("reading the clip's publications")?;
                for publication in publications {
                    self.mark(&envelope, &publication, &rendered.uri).await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
