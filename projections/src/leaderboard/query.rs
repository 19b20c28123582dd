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
        Window::AllTime => format!(
            "SELECT platform, user_id, author, points, messages, last_seen FROM {schema}.rm_leaderboard
              WHERE org = $1 AND channel = $2"
        ),
        Window::LastSevenDays => format!(
            "SELECT d.platform, d.user_id, a.author, sum(d.points)::bigint AS points,
                    sum(d.messages)::bigint AS messages, a.last_seen
               FROM {schema}.rm_leaderboard_daily d
               JOIN {schema}.rm_leaderboard a USING (org, channel, platform, user_id)
              WHERE d.org = $1 AND d.channel = $2 AND d.day >= $5
              GROUP BY d.platform, d.user_id, a.author, a.last_seen"
        ),
    };
    let since = (OffsetDateTime::now_utc() - Duration::days(6)).date();
    sqlx::query_as(&format!(
        "SELECT * FROM (
            SELECT row_number() OVER (ORDER BY points DESC, messages DESC, platform, user_id) AS rank, *
              FROM ({ranked}) w) ranked
          WHERE rank > $3 ORDER BY rank LIMIT $4"
    ))
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
