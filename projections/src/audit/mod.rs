//! The event log view for auditors (`rm_event_log`): every event with its
//! org, actor, correlation and causation ids, request id, time, aggregate,
//! sequence, hash-chain link and payload, in the order the projection read
//! them (`position`), queryable by aggregate, actor, type and time range;
//! and each stream's audit chain head (`rm_chain_heads`), which the
//! checkpointer signs.

mod chain_heads;
mod query;
mod sql;

pub use chain_heads::{moved_heads, MovedHead};
pub use query::{read, EventFilter, EventPage, LoggedEvent};

use anyhow::Context;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;
use wavestack_schemas::{AggregateKind, LogEnvelope};

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

    fn tables_sql(&self) -> &'static str {
        include_str!("tables.sql")
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
            .execute(&mut *conn)
            .await
            .context("appending to rm_event_log")?;
        chain_heads::extend(conn, s, events, &rows.payload).await
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
        self.payload.push(envelope.event.payload_json());
        Ok(())
    }
}
