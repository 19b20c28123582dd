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

/// Where a due target was read from, as a dead letter names its source.
pub fn targets_source(schema: &str) -> String {
    format!("{schema}.rm_publication_targets")
}

use std::collections::BTreeSet;

use sqlx::PgConnection;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::live::{announce, Audience};
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

    fn tables_sql(&self) -> &'static str {
        include_str!("tables.sql")
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
                | LogEvent::Team(_)
                | LogEvent::Broadcast(_) => {}
                LogEvent::Delivery(_) => {}
            }
        }
        for stream in clips {
            if let Some(job) = query::clip_by_stream(&mut *conn, s, stream).await? {
                announce(conn, s, "clip", Audience::channel(&job.org, &job.channel), &job).await?;
            }
        }
        for stream in publications {
            if let Some(publication) = query::publication_by_stream(&mut *conn, s, stream).await? {
                let to = Audience { org: &publication.org, platform: None, channel: publication.channel.as_deref() };
                announce(conn, s, "publication", to, &publication).await?;
            }
        }
        Ok(())
    }
}
