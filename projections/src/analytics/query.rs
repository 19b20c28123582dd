//! Reading a channel's analytics as a dense series: one point per bucket
//! of the range, zero where nothing happened.

use super::sql;
use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::Bucket;
use crate::runtime::{check_schema_name, read_model_missing};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Point {
    #[serde(with = "time::serde::rfc3339")]
    pub bucket_start: OffsetDateTime,
    pub messages: i64,
    pub unique_chatters: i64,
    pub commands: i64,
    pub commands_answered: i64,
    pub commands_refused_level: i64,
    pub commands_refused_cooldown: i64,
    pub commands_refused_cost: i64,
    pub commands_refused_other: i64,
    pub clips_requested: i64,
    pub clips_rendered: i64,
    pub clips_failed: i64,
    pub publications_queued: i64,
    pub publications_published: i64,
    pub publications_failed: i64,
    /// Platform actions (filters' and moderators'), then split by action.
    pub moderation_actions: i64,
    pub moderation_deletes: i64,
    pub moderation_timeouts: i64,
    pub moderation_bans: i64,
    pub moderation_unbans: i64,
    /// Support: follows, subs (gifted ones counted in their gift), bits, raids.
    pub follows: i64,
    pub subs: i64,
    pub gifted_subs: i64,
    pub bits: i64,
    pub raids: i64,
    pub raid_viewers: i64,
}

impl Point {
    fn empty(bucket_start: OffsetDateTime) -> Self {
        Self {
            bucket_start,
            messages: 0,
            unique_chatters: 0,
            commands: 0,
            commands_answered: 0,
            commands_refused_level: 0,
            commands_refused_cooldown: 0,
            commands_refused_cost: 0,
            commands_refused_other: 0,
            clips_requested: 0,
            clips_rendered: 0,
            clips_failed: 0,
            publications_queued: 0,
            publications_published: 0,
            publications_failed: 0,
            moderation_actions: 0,
            moderation_deletes: 0,
            moderation_timeouts: 0,
            moderation_bans: 0,
            moderation_unbans: 0,
            follows: 0,
            subs: 0,
            gifted_subs: 0,
            bits: 0,
            raids: 0,
            raid_viewers: 0,
        }
    }
}

/// The buckets from the one holding `from` up to, not including, `to`.
pub async fn read(
    pool: &PgPool,
    schema: &str,
    org: &str,
    channel: &str,
    bucket: Bucket,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> anyhow::Result<Vec<Point>> {
    check_schema_name(schema)?;
    let first = bucket.start_of(from);
    let rows: Vec<Point> = sqlx::query_as(&sql::reading_channel_analytics(schema))
        .bind(org)
        .bind(channel)
        .bind(bucket.as_str())
        .bind(first)
        .bind(to)
        .fetch_all(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading channel analytics")?;
    let mut by_start: HashMap<OffsetDateTime, Point> = rows.into_iter().map(|p| (p.bucket_start, p)).collect();
    let series = (0..bucket.count_between(from, to))
        .map(|n| {
            let start = first + bucket.length() * n as i32;
            by_start.remove(&start).unwrap_or_else(|| Point::empty(start))
        })
        .collect();
    Ok(series)
}
