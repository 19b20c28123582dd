//! What the workers read from the queue read model: the publication
//! targets due for an attempt (the publisher), and the rendered clips past
//! their retention (clip retention). The read model may lag the log; the
//! aggregates refuse what is not due, so lag only delays.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use uuid::Uuid;

use crate::runtime::{check_schema_name, read_model_missing};

/// A publication's target due for an attempt.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct DueTarget {
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

/// Targets whose asset is ready and schedule has come, and that are
/// pending, or failed and past their retry time, or attempting for longer
/// than `lease` (their publisher died mid-upload); oldest first. `skip`:
/// the (publication stream, platform) pairs the caller set aside for good.
pub async fn due_targets(
    pool: &PgPool,
    schema: &str,
    lease: Duration,
    limit: i64,
    skip: &[(String, String)],
) -> anyhow::Result<Vec<DueTarget>> {
    check_schema_name(schema)?;
    let (streams, platforms): (Vec<&str>, Vec<&str>) = skip.iter().map(|(s, p)| (s.as_str(), p.as_str())).unzip();
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
            AND (t.publication_stream, t.platform) NOT IN (SELECT * FROM unnest($3::text[], $4::text[]))
          ORDER BY coalesce(t.next_retry_at, p.scheduled_at, p.created_at)
          LIMIT $2"
    ))
    .bind(lease.as_secs_f64())
    .bind(limit)
    .bind(streams)
    .bind(platforms)
    .fetch_all(pool)
    .await;
    match rows {
        Ok(rows) => Ok(rows),
        // The projection has not created its tables yet.
        Err(error) if read_model_missing(&error) => Ok(Vec::new()),
        Err(error) => Err(error).context("reading due publication targets"),
    }
}

/// A rendered clip past its retention.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExpiredClip {
    pub clip_stream: String,
    pub org: String,
    pub clip_id: Uuid,
    pub media_uri: Option<String>,
}

/// Up to `limit` clips rendered more than `max_age` ago, oldest first.
pub async fn rendered_before(
    pool: &PgPool,
    schema: &str,
    max_age: Duration,
    limit: i64,
) -> anyhow::Result<Vec<ExpiredClip>> {
    check_schema_name(schema)?;
    let rows = sqlx::query_as(&format!(
        "SELECT clip_stream, org, clip_id, media_uri FROM {schema}.rm_clip_jobs
          WHERE status = 'rendered' AND updated_at < now() - make_interval(secs => $1)
          ORDER BY updated_at LIMIT $2"
    ))
    .bind(max_age.as_secs_f64())
    .bind(limit)
    .fetch_all(pool)
    .await;
    match rows {
        Ok(rows) => Ok(rows),
        Err(error) if read_model_missing(&error) => Ok(Vec::new()),
        Err(error) => Err(error).context("reading clips past their retention"),
    }
}
