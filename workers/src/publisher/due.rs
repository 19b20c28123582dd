//! Which publication targets are due, read from the queue read model: the
//! asset is ready, the schedule has come, the target is pending, or failed
//! and past its retry time, or attempting for longer than the lease (its
//! publisher died mid-upload). The read model may lag the log; the
//! publication aggregate refuses an attempt that is not due, so lag only
//! delays.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use uuid::Uuid;
use wavestack_adapters::postgres::relation_missing;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub(crate) struct DueTarget {
    pub publication_stream: String,
    pub org: String,
    pub publication_id: Uuid,
    pub platform: String,
    pub title: String,
    pub caption: String,
    pub hashtags: Vec<String>,
    /// The rendered clip's URL, once its asset is ready.
    pub media_uri: Option<String>,
    /// An asset hosted elsewhere.
    pub asset_url: Option<String>,
}

pub(crate) async fn due_targets(
    pool: &PgPool,
    schema: &str,
    lease: Duration,
    limit: i64,
) -> anyhow::Result<Vec<DueTarget>> {
    let rows = sqlx::query_as(&format!(
        "SELECT p.publication_stream, p.org, p.publication_id, t.platform, p.title, p.caption, p.hashtags,
                p.media_uri, p.asset_url
           FROM {schema}.rm_publication_targets t
           JOIN {schema}.rm_publications p USING (publication_stream)
          WHERE NOT p.cancelled AND NOT p.waiting_for_asset
            AND (p.scheduled_at IS NULL OR p.scheduled_at <= now())
            AND (t.status = 'pending'
                 OR (t.status = 'failed' AND (t.next_retry_at IS NULL OR t.next_retry_at <= now()))
                 OR (t.status = 'attempting' AND t.updated_at <= now() - make_interval(secs => $1)))
            AND NOT EXISTS (SELECT 1 FROM publisher_dead_letters d
                             WHERE d.publication_stream = t.publication_stream AND d.platform = t.platform)
          ORDER BY coalesce(t.next_retry_at, p.scheduled_at, p.created_at)
          LIMIT $2"
    ))
    .bind(lease.as_secs_f64())
    .bind(limit)
    .fetch_all(pool)
    .await;
    match rows {
        Ok(rows) => Ok(rows),
        // The queue projection has not created its tables yet.
        Err(error) if relation_missing(&error) => Ok(Vec::new()),
        Err(error) => Err(error).context("reading due publication targets"),
    }
}
