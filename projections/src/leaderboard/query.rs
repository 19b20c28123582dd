//! Reading a channel's leaderboard, ranked.

use anyhow::Context;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::runtime::{check_schema_name, read_model_missing};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    AllTime,
    /// Today and the six UTC days before it.
    LastSevenDays,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Entry {
    pub rank: i64,
    pub platform: String,
    pub user_id: String,
    pub author: Option<String>,
    pub points: i64,
    pub messages: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
}

/// Ranks `after_rank + 1 ..= after_rank + limit` of the channel: points
/// descending, then messages descending, then platform and user id.
pub async fn read(
    pool: &PgPool,
    schema: &str,
    org: &str,
    channel: &str,
    window: Window,
    after_rank: i64,
    limit: i64,
) -> anyhow::Result<Vec<Entry>> {
    check_schema_name(schema)?;
    let ranked = match window {
        Window::AllTime => super::sql::totals_all_time(schema),
        Window::LastSevenDays => super::sql::totals_last_seven_days(schema),
    };
    let since = (OffsetDateTime::now_utc() - Duration::days(6)).date();
    sqlx::query_as(&super::sql::ranked(&ranked))
        .bind(org)
        .bind(channel)
        .bind(after_rank)
        .bind(limit)
        .bind(since)
        .fetch_all(pool)
        .await
        // The projection has not started yet: nothing to rank.
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading the leaderboard")
}
