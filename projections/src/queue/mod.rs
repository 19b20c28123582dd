//! Queue state: clip jobs (`rm_clip_jobs`: status, attempts, error, media
//! when rendered) and publications (`rm_publications`, and per target
//! `rm_publication_targets`: status, attempts, last error, post url).
//!
//! Few events, each changing one row: applied one by one. Each clip or
//! publication the batch changed is announced once, in its final state,
//! to the live feed of its channel (a publication's channel is its clip's).

mod apply;
mod query;
mod sql;
mod work;

pub use query::{
    clip, clips, publication, publications, ClipFilter, ClipJob, ClipPage, Publication, PublicationFilter,
    PublicationPage, Target,
};
pub use work::{due_targets, rendered_before, DueTarget, ExpiredClip};

use std::collections::BTreeSet;

use sqlx::PgConnection;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::live::announce;
use crate::runtime::Projection;

#[derive(Debug, Clone, Copy)]
pub struct Queue;

impl Projection for Queue {
    fn name(&self) -> &'static str {
        "queue"
    }

    fn topics(&self) -> Vec<AggregateKind> {
        vec![AggregateKind::Clip, AggregateKind::Publication]
    }

    fn create_tables(&self, s: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {s}.rm_clip_jobs (
                    clip_stream text PRIMARY KEY, org text NOT NULL, clip_id uuid NOT NULL, channel text NOT NULL,
                    title text NOT NULL, source text NOT NULL, start_ms bigint NOT NULL, duration_ms bigint NOT NULL,
                    container text NOT NULL, reencode boolean NOT NULL, requested_by text NOT NULL,
                    status text NOT NULL, attempts integer NOT NULL DEFAULT 0, worker text,
                    error text, retryable boolean, media_uri text, thumbnail_uri text, rendered_duration_ms bigint,
                    size_bytes bigint, sha256 text,
                    requested_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
                    UNIQUE (org, clip_id))"
            ),
            format!("CREATE INDEX IF NOT EXISTS rm_clip_jobs_list ON {s}.rm_clip_jobs (org, requested_at DESC, clip_id DESC)"),
            format!(
                "CREATE TABLE IF NOT EXISTS {s}.rm_publications (
                    publication_stream text PRIMARY KEY, org text NOT NULL, publication_id uuid NOT NULL,
                    channel text, clip_stream text, clip_id uuid, asset_url text, title text NOT NULL,
                    caption text NOT NULL, hashtags text[] NOT NULL, scheduled_at timestamptz,
                    waiting_for_asset boolean NOT NULL, media_uri text, cancelled boolean NOT NULL DEFAULT false,
                    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
                    UNIQUE (org, publication_id))"
            ),
            format!("CREATE INDEX IF NOT EXISTS rm_publications_clip ON {s}.rm_publications (clip_stream)"),
            format!(
                "CREATE TABLE IF NOT EXISTS {s}.rm_publication_targets (
                    publication_stream text NOT NULL, platform text NOT NULL, org text NOT NULL,
                    status text NOT NULL, attempts integer NOT NULL DEFAULT 0, last_error text,
                    next_retry_at timestamptz, post_id text, post_url text, updated_at timestamptz NOT NULL,
                    PRIMARY KEY (publication_stream, platform))"
            ),
        ]
    }

    async fn apply(&self, conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
        let mut clips = BTreeSet::new();
        let mut publications = BTreeSet::new();
        for envelope in events {
            match &envelope.event {
                LogEvent::Clip(event) => {
                    apply::clip_event(conn, s, envelope, event).await?;
                    clips.insert(envelope.aggregate_id.as_str());
                }
                LogEvent::Publication(event) => {
                    apply::publication_event(conn, s, envelope, event).await?;
                    publications.insert(envelope.aggregate_id.as_str());
                }
                LogEvent::Chat(_)
                | LogEvent::Channel(_)
                | LogEvent::CommandUse(_)
                | LogEvent::Giveaway(_)
                | LogEvent::Poll(_)
                | LogEvent::Identity(_)
                | LogEvent::Team(_) => {}
            }
        }
        for stream in clips {
            if let Some(job) = query::clip_by_stream(&mut *conn, s, stream).await? {
                announce(conn, s, "clip", &job.org, Some(&job.channel), &job).await?;
            }
        }
        for stream in publications {
            if let Some(publication) = query::publication_by_stream(&mut *conn, s, stream).await? {
                let channel = publication.channel.clone();
                announce(conn, s, "publication", &publication.org, channel.as_deref(), &publication).await?;
            }
        }
        Ok(())
    }
}
