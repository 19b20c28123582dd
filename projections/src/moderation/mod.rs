//! Moderation per channel: the log of every decision (`rm_moderation_log`:
//! who, what, why, by whom — a filter or a moderator) and each viewer's
//! standing (`rm_moderation_standing`: strikes with their expiries,
//! timeouts, ban). Rows are keyed by the event's stream and sequence, so a
//! redelivered batch changes nothing twice.

mod query;
mod sql;

pub use query::{log, standing, LogEntry, LogFilter, Standing};

use anyhow::Context;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::moderation::{ActionKind, ModeratorAction};
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::chat_stream::viewer_of;
use crate::runtime::Projection;

#[derive(Debug, Clone, Copy)]
pub struct Moderation;

/// One log row before it is written.
struct Row<'a> {
    envelope: &'a LogEnvelope,
    at: OffsetDateTime,
    action: &'static str,
    cause: Option<&'static str>,
    evidence: String,
    reason: String,
    decided_by: String,
    message_id: Option<String>,
    author: Option<String>,
    text: Option<String>,
    seconds: i64,
    strikes: Option<i64>,
}

/// How one event changes a viewer's standing.
enum StandingChange {
    Strike {
        expires_at: OffsetDateTime,
    },
    TimedOut {
        until: OffsetDateTime,
    },
    Banned,
    /// Unban: ban, timeout and strikes lifted.
    Cleared,
    Pardoned,
}

impl Projection for Moderation {
    fn name(&self) -> &'static str {
        "moderation"
    }

    fn topics(&self) -> Vec<AggregateKind> {
        vec![AggregateKind::Chat]
    }

    fn tables_sql(&self) -> &'static str {
        include_str!("tables.sql")
    }

    async fn apply(&self, conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
        for envelope in events {
            let LogEvent::Chat(event) = &envelope.event else { continue };
            let (row, changes) = match event {
                ChatEvent::MessageModerated(m) => {
                    let at = m.decided_at.as_datetime();
                    let row = Row {
                        envelope,
                        at,
                        action: m.action.as_str(),
                        cause: Some(m.cause.as_str()),
                        evidence: m.evidence.clone(),
                        reason: format!("{}: {}", m.cause, m.evidence),
                        decided_by: "filter".into(),
                        message_id: Some(m.message_id.to_string()),
                        author: Some(m.author.to_string()),
                        text: Some(m.text.to_string()),
                        seconds: i64::from(m.seconds),
                        strikes: Some(i64::from(m.strikes)),
                    };
                    let mut changes = Vec::new();
                    if let Some(expires) = m.strike_expires_at {
                        changes.push(StandingChange::Strike { expires_at: expires.as_datetime() });
                    }
                    match m.action {
                        ActionKind::Timeout => changes
                            .push(StandingChange::TimedOut { until: at + Duration::seconds(i64::from(m.seconds)) }),
                        ActionKind::Ban => changes.push(StandingChange::Banned),
                        ActionKind::Delete | ActionKind::Unban => {}
                    }
                    (row, changes)
                }
                ChatEvent::ModeratorActed(a) => {
                    let at = a.at.as_datetime();
                    let row = Row {
                        envelope,
                        at,
                        action: a.action.as_str(),
                        cause: None,
                        evidence: String::new(),
                        reason: a.reason.clone(),
                        decided_by: a.by.to_string(),
                        message_id: a.message_id.as_ref().map(ToString::to_string),
                        author: None,
                        text: None,
                        seconds: i64::from(a.seconds),
                        strikes: None,
                    };
                    let change = match a.action {
                        ModeratorAction::Timeout => {
                            Some(StandingChange::TimedOut { until: at + Duration::seconds(i64::from(a.seconds)) })
                        }
                        ModeratorAction::Ban => Some(StandingChange::Banned),
                        ModeratorAction::Unban => Some(StandingChange::Cleared),
                        ModeratorAction::Pardon => Some(StandingChange::Pardoned),
                        ModeratorAction::Permit => None,
                    };
                    (row, change.into_iter().collect())
                }
                _ => continue,
            };
            if insert_log(conn, s, &row).await? {
                for change in changes {
                    apply_standing(conn, s, envelope, &row, change).await?;
                }
            }
        }
        Ok(())
    }
}

/// Whether the row is new (a redelivery inserts nothing and changes nothing).
async fn insert_log(conn: &mut PgConnection, s: &str, row: &Row<'_>) -> anyhow::Result<bool> {
    let (org, platform, channel, user_id) = viewer_of(row.envelope)?;
    let inserted = sqlx::query(&sql::inserting_log(s))
        .bind(&org)
        .bind(&platform)
        .bind(&channel)
        .bind(&user_id)
        .bind(&row.envelope.aggregate_id)
        .bind(row.envelope.sequence as i64)
        .bind(row.at)
        .bind(row.action)
        .bind(row.cause)
        .bind(&row.evidence)
        .bind(&row.reason)
        .bind(&row.decided_by)
        .bind(&row.message_id)
        .bind(&row.author)
        .bind(&row.text)
        .bind(row.seconds)
        .bind(row.strikes)
        .execute(&mut *conn)
        .await
        .context("inserting into rm_moderation_log")?;
    Ok(inserted.rows_affected() == 1)
}

async fn apply_standing(
    conn: &mut PgConnection,
    s: &str,
    envelope: &LogEnvelope,
    row: &Row<'_>,
    change: StandingChange,
) -> anyhow::Result<()> {
    let (org, platform, channel, user_id) = viewer_of(envelope)?;
    let (change, expires, until) = match change {
        StandingChange::Strike { expires_at } => ("strike", Some(expires_at), None),
        StandingChange::TimedOut { until } => ("timeout", None, Some(until)),
        StandingChange::Banned => ("ban", None, None),
        StandingChange::Cleared => ("clear", None, None),
        StandingChange::Pardoned => ("pardon", None, None),
    };
    sqlx::query(&sql::updating_standing(s))
        .bind(&org)
        .bind(&platform)
        .bind(&channel)
        .bind(&user_id)
        .bind(&row.author)
        .bind(row.at)
        .bind(expires)
        .bind(until)
        .bind(change)
        .execute(&mut *conn)
        .await
        .context("updating rm_moderation_standing")?;
    Ok(())
}
