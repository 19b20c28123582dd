//! Reading the event log: oldest first, by position, so that a reader
//! following the cursor sees every event exactly once, including those
//! appended while it reads.

use super::sql;
use anyhow::Context;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::runtime::{check_schema_name, read_model_missing};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LoggedEvent {
    pub position: i64,
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub actor: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub request_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// This event's link in its stream's SHA-256 hash chain.
    pub hash: String,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub aggregate_id: Option<String>,
    pub actor: Option<String>,
    pub event_type: Option<String>,
    /// Occurred at or after.
    pub from: Option<OffsetDateTime>,
    /// Occurred before.
    pub to: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    pub events: Vec<LoggedEvent>,
    /// The position to continue after; present when the page was full.
    pub next: Option<i64>,
}

/// Up to `limit` of the org's events after `after` (a position) matching
/// the filter.
pub async fn read(
    pool: &PgPool,
    s: &str,
    org: &str,
    filter: &EventFilter,
    after: i64,
    limit: i64,
) -> anyhow::Result<EventPage> {
    check_schema_name(s)?;
    let mut events: Vec<LoggedEvent> = sqlx::query_as(&sql::reading_the_event_log(s))
        .bind(org)
        .bind(after)
        .bind(&filter.aggregate_id)
        .bind(&filter.actor)
        .bind(&filter.event_type)
        .bind(filter.from)
        .bind(filter.to)
        .bind(limit + 1)
        .fetch_all(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading the event log")?;
    let next = if events.len() as i64 > limit {
        events.truncate(limit as usize);
        events.last().map(|e| e.position)
    } else {
        None
    };
    Ok(EventPage { events, next })
}
