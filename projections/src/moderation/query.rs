//! Reading a channel's moderation log and a viewer's standing.

use anyhow::Context;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::sql;
use crate::runtime::{check_schema_name, read_model_missing};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LogEntry {
    pub user_id: String,
    /// The viewer's name when a filter judged one of their messages.
    pub author: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// delete, timeout, ban (a filter's or a moderator's), unban, pardon, permit.
    pub action: String,
    /// The filter (or `banned`, `timed_out`); none for a moderator's action.
    pub cause: Option<String>,
    /// What the filter found: the term, the percentage, the count.
    pub evidence: String,
    pub reason: String,
    /// `filter`, or the moderator's actor id.
    pub decided_by: String,
    pub message_id: Option<String>,
    /// The moderated message.
    pub text: Option<String>,
    pub seconds: i64,
    /// The viewer's live strikes after a filter's decision.
    pub strikes: Option<i64>,
    #[serde(skip)]
    pub stream: String,
    #[serde(skip)]
    pub sequence: i64,
}

/// Narrows the log; `None` is any.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub user_id: Option<String>,
    pub action: Option<String>,
    pub cause: Option<String>,
    /// Entries strictly older than this one (`at`, `sequence`, `stream`).
    pub before: Option<(OffsetDateTime, i64, String)>,
}

#[allow(clippy::too_many_arguments)]
pub async fn log(
    pool: &PgPool,
    schema: &str,
    org: &str,
    platform: &str,
    channel: &str,
    filter: &LogFilter,
    limit: i64,
) -> anyhow::Result<Vec<LogEntry>> {
    check_schema_name(schema)?;
    let (before_at, before_sequence, before_stream) = match &filter.before {
        Some((at, sequence, stream)) => (Some(*at), Some(*sequence), Some(stream.as_str())),
        None => (None, None, None),
    };
    sqlx::query_as(&sql::reading_log(schema))
        .bind(org)
        .bind(platform)
        .bind(channel)
        .bind(&filter.user_id)
        .bind(&filter.action)
        .bind(&filter.cause)
        .bind(limit)
        .bind(before_at)
        .bind(before_sequence)
        .bind(before_stream)
        .fetch_all(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading the moderation log")
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Standing {
    #[serde(skip)]
    pub user_id: String,
    pub author: Option<String>,
    /// When each strike that still counts stops counting, soonest first.
    #[serde(with = "rfc3339_list")]
    pub strike_expiries: Vec<OffsetDateTime>,
    /// Timeouts ever given.
    pub timeouts: i64,
    /// The end of a timeout still running.
    #[serde(with = "time::serde::rfc3339::option")]
    pub timed_out_until: Option<OffsetDateTime>,
    /// Bans ever given.
    pub bans: i64,
    pub banned: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub last_action_at: OffsetDateTime,
}

mod rfc3339_list {
    use serde::ser::SerializeSeq;
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    pub(super) fn serialize<S: serde::Serializer>(items: &[OffsetDateTime], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(&item.format(&Rfc3339).map_err(serde::ser::Error::custom)?)?;
        }
        seq.end()
    }
}

/// The viewer's standing, or `None` when no decision ever touched them.
pub async fn standing(
    pool: &PgPool,
    schema: &str,
    org: &str,
    platform: &str,
    channel: &str,
    user_id: &str,
) -> anyhow::Result<Option<Standing>> {
    check_schema_name(schema)?;
    sqlx::query_as(&sql::reading_standing(schema))
        .bind(org)
        .bind(platform)
        .bind(channel)
        .bind(user_id)
        .fetch_optional(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(None) } else { Err(e) })
        .context("reading a viewer's standing")
}
