//! The event log view for auditors (`rm_event_log`): every event with its
//! org, actor, correlation and causation ids, request id, time, aggregate,
//! sequence, hash-chain link and payload, in the order the projection read
//! them (`position`), queryable by aggregate, actor, type and time range.

mod query;
mod sql;

pub use query::{read, EventFilter, EventPage, LoggedEvent};

use anyhow::Context;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::runtime::Projection;

#[derive(Debug, Clone, Copy)]
pub struct Audit;

impl Projection for Audit {
    fn name(&self) -> &'static str {
        "audit"
    }

    fn topics(&self) -> Vec<AggregateKind> {
        AggregateKind::ALL.to_vec()
    }

    fn create_tables(&self, s: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {s}.rm_event_log (
                    position bigserial PRIMARY KEY, org text NOT NULL, event_id uuid NOT NULL UNIQUE,
                    aggregate_type text NOT NULL, aggregate_id text NOT NULL, sequence bigint NOT NULL,
                    event_type text NOT NULL, actor text NOT NULL, correlation_id uuid NOT NULL, causation_id uuid,
                    request_id text, occurred_at timestamptz NOT NULL, hash text NOT NULL, payload jsonb NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now())"
            ),
            format!("CREATE INDEX IF NOT EXISTS rm_event_log_org ON {s}.rm_event_log (org, position)"),
            format!(
                "CREATE INDEX IF NOT EXISTS rm_event_log_aggregate ON {s}.rm_event_log (org, aggregate_id, position)"
            ),
            format!("CREATE INDEX IF NOT EXISTS rm_event_log_actor ON {s}.rm_event_log (org, actor, position)"),
            format!("CREATE INDEX IF NOT EXISTS rm_event_log_type ON {s}.rm_event_log (org, event_type, position)"),
            format!("CREATE INDEX IF NOT EXISTS rm_event_log_time ON {s}.rm_event_log (org, occurred_at)"),
        ]
    }

    async fn apply(&self, conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
        let mut rows = Rows::default();
        for envelope in events {
            rows.push(envelope)?;
        }
        sqlx::query(&sql::appending_to_rm_event_log(s))
            .bind(&rows.org)
            .bind(&rows.event_id)
            .bind(&rows.aggregate_type)
            .bind(&rows.aggregate_id)
            .bind(&rows.sequence)
            .bind(&rows.event_type)
            .bind(&rows.actor)
            .bind(&rows.correlation_id)
            .bind(&rows.causation_id)
            .bind(&rows.request_id)
            .bind(&rows.occurred_at)
            .bind(&rows.hash)
            .bind(&rows.payload)
            .execute(conn)
            .await
            .context("appending to rm_event_log")?;
        Ok(())
    }
}

/// The batch, column by column.
#[derive(Default)]
struct Rows {
    org: Vec<String>,
    event_id: Vec<Uuid>,
    aggregate_type: Vec<&'static str>,
    aggregate_id: Vec<String>,
    sequence: Vec<i64>,
    event_type: Vec<&'static str>,
    actor: Vec<String>,
    correlation_id: Vec<Uuid>,
    causation_id: Vec<Option<Uuid>>,
    request_id: Vec<Option<String>>,
    occurred_at: Vec<OffsetDateTime>,
    hash: Vec<String>,
    payload: Vec<serde_json::Value>,
}

impl Rows {
    fn push(&mut self, envelope: &LogEnvelope) -> anyhow::Result<()> {
        let m = &envelope.metadata;
        self.org.push(m.org.to_string());
        self.event_id.push(envelope.event_id);
        self.aggregate_type.push(envelope.event.kind().aggregate_type());
        self.aggregate_id.push(envelope.aggregate_id.clone());
        self.sequence.push(i64::try_from(envelope.sequence).context("sequence out of range")?);
        self.event_type.push(envelope.event.name());
        self.actor.push(m.actor.to_string());
        self.correlation_id.push(m.correlation_id);
        self.causation_id.push(m.causation_id);
        self.request_id.push(m.request_id.clone());
        self.occurred_at.push(m.occurred_at.as_datetime());
        self.hash.push(envelope.hash.clone());
        self.payload.push(payload_of(&envelope.event)?);
        Ok(())
    }
}

/// The event's fields, without the enum tag (stored as `event_type`).
fn payload_of(event: &LogEvent) -> anyhow::Result<serde_json::Value> {
    let tagged = match event {
        LogEvent::Chat(e) => serde_json::to_value(e),
        LogEvent::Clip(e) => serde_json::to_value(e),
        LogEvent::Publication(e) => serde_json::to_value(e),
        LogEvent::Channel(e) => serde_json::to_value(e),
        LogEvent::CommandUse(e) => serde_json::to_value(e),
        LogEvent::Giveaway(e) => serde_json::to_value(e),
        LogEvent::Poll(e) => serde_json::to_value(e),
        LogEvent::Identity(e) => serde_json::to_value(e),
        LogEvent::Team(e) => serde_json::to_value(e),
    }
    .context("serialising an event payload")?;
    Ok(match tagged {
        serde_json::Value::Object(map) if map.len() == 1 => map.into_iter().next().expect("one entry").1,
        other => other,
    })
}
