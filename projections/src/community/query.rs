//! Reading giveaways and polls.

use anyhow::Context;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::sql;
use crate::runtime::{check_schema_name, read_model_missing};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Giveaway {
    pub giveaway_id: Uuid,
    pub title: String,
    /// `platform/channel`.
    pub channels: Vec<String>,
    pub keyword: String,
    pub cost: i64,
    pub min_level: String,
    pub subscriber_luck: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closes_at: Option<OffsetDateTime>,
    /// `hex(SHA-256(seed))`, published at open.
    pub commitment: String,
    /// open, closed, drawn, cancelled.
    pub phase: String,
    pub entries: i64,
    /// Revealed at the first draw.
    pub seed: Option<String>,
    pub rounds: i32,
    /// Every round's winners: `{round, entry, person, account, author, replaces}`.
    pub winners: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Poll {
    pub poll_id: Uuid,
    pub question: String,
    pub options: Vec<String>,
    pub channels: Vec<String>,
    pub allow_change: bool,
    /// open, closed, cancelled (an open poll past its end takes no vote).
    pub phase: String,
    /// Votes per option, in the options' order; final once closed.
    pub counts: Vec<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

/// One row of the org by its id, or none (none too before the projection
/// made its tables).
async fn one<T>(pool: &PgPool, statement: &str, org: &str, id: Uuid, what: &'static str) -> anyhow::Result<Option<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(statement)
        .bind(org)
        .bind(id)
        .fetch_optional(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(None) } else { Err(e) })
        .with_context(|| format!("reading {what}"))
}

/// The org's newest rows.
async fn newest<T>(pool: &PgPool, statement: &str, org: &str, limit: i64, what: &'static str) -> anyhow::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(statement)
        .bind(org)
        .bind(limit)
        .fetch_all(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .with_context(|| format!("reading {what}"))
}

/// One giveaway of the org, or none.
pub async fn giveaway(pool: &PgPool, schema: &str, org: &str, id: Uuid) -> anyhow::Result<Option<Giveaway>> {
    check_schema_name(schema)?;
    let statement =
        format!("SELECT {} FROM {schema}.rm_giveaways WHERE org = $1 AND giveaway_id = $2", sql::giveaway_columns());
    one(pool, &statement, org, id, "a giveaway").await
}

/// The org's giveaways, newest first.
pub async fn giveaways(pool: &PgPool, schema: &str, org: &str, limit: i64) -> anyhow::Result<Vec<Giveaway>> {
    check_schema_name(schema)?;
    let statement = format!(
        "SELECT {} FROM {schema}.rm_giveaways WHERE org = $1 ORDER BY opened_at DESC, giveaway_id LIMIT $2",
        sql::giveaway_columns()
    );
    newest(pool, &statement, org, limit, "giveaways").await
}

pub async fn poll(pool: &PgPool, schema: &str, org: &str, id: Uuid) -> anyhow::Result<Option<Poll>> {
    check_schema_name(schema)?;
    let statement = format!("SELECT {} FROM {schema}.rm_polls WHERE org = $1 AND poll_id = $2", sql::poll_columns());
    one(pool, &statement, org, id, "a poll").await
}

/// The org's polls, newest first.
pub async fn polls(pool: &PgPool, schema: &str, org: &str, limit: i64) -> anyhow::Result<Vec<Poll>> {
    check_schema_name(schema)?;
    let statement = format!(
        "SELECT {} FROM {schema}.rm_polls WHERE org = $1 ORDER BY opened_at DESC, poll_id LIMIT $2",
        sql::poll_columns()
    );
    newest(pool, &statement, org, limit, "polls").await
}

/// The same read, inside the projection's transaction (for announcing).
pub(super) async fn giveaway_in(
    conn: &mut sqlx::PgConnection,
    schema: &str,
    org: &str,
    id: Uuid,
) -> anyhow::Result<Option<Giveaway>> {
    let statement =
        format!("SELECT {} FROM {schema}.rm_giveaways WHERE org = $1 AND giveaway_id = $2", sql::giveaway_columns());
    sqlx::query_as(&statement).bind(org).bind(id).fetch_optional(conn).await.context("reading a giveaway")
}

pub(super) async fn poll_in(
    conn: &mut sqlx::PgConnection,
    schema: &str,
    org: &str,
    id: Uuid,
) -> anyhow::Result<Option<Poll>> {
    let statement = format!("SELECT {} FROM {schema}.rm_polls WHERE org = $1 AND poll_id = $2", sql::poll_columns());
    sqlx::query_as(&statement).bind(org).bind(id).fetch_optional(conn).await.context("reading a poll")
}
