//! Reading queue state: one clip job or publication, or a page of them,
//! newest first, filtered.

use super::sql;
use anyhow::Context;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::cursor::Cursor;
use crate::runtime::{check_schema_name, read_model_missing};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ClipJob {
    #[serde(skip)]
    pub org: String,
    pub clip_id: Uuid,
    /// The id the command API answered with, for read-your-writes.
    #[sqlx(rename = "clip_stream")]
    pub aggregate_id: String,
    pub channel: String,
    pub title: String,
    pub source: String,
    pub start_ms: i64,
    pub duration_ms: i64,
    pub container: String,
    pub reencode: bool,
    pub requested_by: String,
    /// requested, rendering, rendered or failed.
    pub status: String,
    pub attempts: i32,
    pub worker: Option<String>,
    pub error: Option<String>,
    /// Of a failure: whether another attempt will be made.
    pub retryable: Option<bool>,
    pub media_uri: Option<String>,
    pub thumbnail_uri: Option<String>,
    /// As probed from the rendered file.
    pub rendered_duration_ms: Option<i64>,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Publication {
    #[serde(skip)]
    pub org: String,
    pub publication_id: Uuid,
    #[sqlx(rename = "publication_stream")]
    pub aggregate_id: String,
    /// The channel of its clip; none for an asset hosted elsewhere.
    pub channel: Option<String>,
    pub clip_id: Option<Uuid>,
    pub asset_url: Option<String>,
    pub title: String,
    pub caption: String,
    pub hashtags: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub scheduled_at: Option<OffsetDateTime>,
    pub waiting_for_asset: bool,
    pub media_uri: Option<String>,
    pub cancelled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[sqlx(skip)]
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Target {
    #[serde(skip)]
    pub publication_stream: String,
    pub platform: String,
    /// pending, attempting, failed (will retry), published, gave_up or cancelled.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_retry_at: Option<OffsetDateTime>,
    pub post_id: Option<String>,
    pub post_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct ClipFilter {
    pub status: Option<String>,
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PublicationFilter {
    /// Of a target.
    pub status: Option<String>,
    pub platform: Option<String>,
    pub channel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipPage {
    pub clips: Vec<ClipJob>,
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationPage {
    /// Each with the targets that match the filter.
    pub publications: Vec<Publication>,
    pub next: Option<Cursor>,
}

/// A query on a read model whose projection has not started reads as empty.
fn empty_if_missing<T: Default>(result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
    result.or_else(|e| if read_model_missing(&e) { Ok(T::default()) } else { Err(e) })
}

pub async fn clip(conn: &mut PgConnection, s: &str, org: &str, clip_id: Uuid) -> anyhow::Result<Option<ClipJob>> {
    check_schema_name(s)?;
    let row = sqlx::query_as(&sql::reading_a_clip_job(s)).bind(org).bind(clip_id).fetch_optional(conn).await;
    empty_if_missing(row).context("reading a clip job")
}

pub(crate) async fn clip_by_stream(conn: &mut PgConnection, s: &str, stream: &str) -> anyhow::Result<Option<ClipJob>> {
    sqlx::query_as(&sql::reading_a_clip_job_by_stream(s))
        .bind(stream)
        .fetch_optional(conn)
        .await
        .context("reading a clip job")
}

/// Up to `limit` clip jobs requested before `after`, newest first.
pub async fn clips(
    conn: &mut PgConnection,
    s: &str,
    org: &str,
    filter: &ClipFilter,
    after: Option<Cursor>,
    limit: i64,
) -> anyhow::Result<ClipPage> {
    check_schema_name(s)?;
    let rows: Vec<ClipJob> = empty_if_missing(
        sqlx::query_as(&sql::listing_clip_jobs(s))
            .bind(org)
            .bind(&filter.status)
            .bind(&filter.channel)
            .bind(after.map(|c| c.at))
            .bind(after.map(|c| c.id))
            .bind(limit + 1)
            .fetch_all(conn)
            .await,
    )
    .context("listing clip jobs")?;
    let (clips, next) = page(rows, limit, |c| Cursor { at: c.requested_at, id: c.clip_id });
    Ok(ClipPage { clips, next })
}

pub async fn publication(
    conn: &mut PgConnection,
    s: &str,
    org: &str,
    publication_id: Uuid,
) -> anyhow::Result<Option<Publication>> {
    check_schema_name(s)?;
    let row: Option<Publication> = empty_if_missing(
        sqlx::query_as(&sql::reading_a_publication(s)).bind(org).bind(publication_id).fetch_optional(&mut *conn).await,
    )
    .context("reading a publication")?;
    with_targets(conn, s, row, &PublicationFilter::default()).await
}

pub(crate) async fn publication_by_stream(
    conn: &mut PgConnection,
    s: &str,
    stream: &str,
) -> anyhow::Result<Option<Publication>> {
    let row: Option<Publication> = sqlx::query_as(&sql::reading_a_publication_by_stream(s))
        .bind(stream)
        .fetch_optional(&mut *conn)
        .await
        .context("reading a publication")?;
    with_targets(conn, s, row, &PublicationFilter::default()).await
}

async fn with_targets(
    conn: &mut PgConnection,
    s: &str,
    publication: Option<Publication>,
    filter: &PublicationFilter,
) -> anyhow::Result<Option<Publication>> {
    let Some(publication) = publication else { return Ok(None) };
    Ok(attach_targets(conn, s, vec![publication], filter).await?.pop())
}

/// Publications created before `after`, newest first, that have a target
/// matching the filter; each carries its matching targets.
pub async fn publications(
    conn: &mut PgConnection,
    s: &str,
    org: &str,
    filter: &PublicationFilter,
    after: Option<Cursor>,
    limit: i64,
) -> anyhow::Result<PublicationPage> {
    check_schema_name(s)?;
    let rows: Vec<Publication> = empty_if_missing(
        sqlx::query_as(&sql::listing_publications(s))
            .bind(org)
            .bind(&filter.channel)
            .bind(after.map(|c| c.at))
            .bind(after.map(|c| c.id))
            .bind(&filter.status)
            .bind(&filter.platform)
            .bind(limit + 1)
            .fetch_all(&mut *conn)
            .await,
    )
    .context("listing publications")?;
    let (rows, next) = page(rows, limit, |p| Cursor { at: p.created_at, id: p.publication_id });
    let publications = attach_targets(conn, s, rows, filter).await?;
    Ok(PublicationPage { publications, next })
}

async fn attach_targets(
    conn: &mut PgConnection,
    s: &str,
    mut publications: Vec<Publication>,
    filter: &PublicationFilter,
) -> anyhow::Result<Vec<Publication>> {
    if publications.is_empty() {
        return Ok(publications);
    }
    let streams: Vec<&str> = publications.iter().map(|p| p.aggregate_id.as_str()).collect();
    let targets: Vec<Target> = sqlx::query_as(&sql::reading_publication_targets(s))
        .bind(&streams)
        .bind(&filter.status)
        .bind(&filter.platform)
        .fetch_all(conn)
        .await
        .context("reading publication targets")?;
    for target in targets {
        if let Some(p) = publications.iter_mut().find(|p| p.aggregate_id == target.publication_stream) {
            p.targets.push(target);
        }
    }
    Ok(publications)
}

/// Splits the `limit + 1` rows read into a page and the cursor after it.
fn page<T>(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> Cursor) -> (Vec<T>, Option<Cursor>) {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(cursor_of);
        (rows, next)
    } else {
        (rows, None)
    }
}
