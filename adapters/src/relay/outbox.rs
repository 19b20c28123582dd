use std::collections::HashMap;

use anyhow::{anyhow, Context};
use serde::Deserialize;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;
use wavestack_domain::metadata::EventMetadata;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use super::Checkpoint;

/// One row of the `events` table as the relay reads it.
#[derive(Debug, Clone, FromRow)]
pub struct OutboxEvent {
    pub position: i64,
    /// The writing transaction's xid8 (fits an i64 for the next few aeons).
    pub transaction_id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_id: Uuid,
    pub payload: serde_json::Value,
    pub metadata: serde_json::Value,
    pub hash: Vec<u8>,
}

/// `ORDER BY` names the table's columns: the output column of the same
/// name is the text-cast bigint, and ordering by it cannot use the
/// `(transaction_id, position)` index (Postgres would sort every row left).
const FETCH_AFTER: &str = "
SELECT position, transaction_id::text::bigint AS transaction_id, aggregate_type, aggregate_id, sequence,
       event_type, event_id, payload, metadata, hash
  FROM events
 WHERE (transaction_id, position) > ($1::bigint::text::xid8, $2)
   AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY events.transaction_id, events.position
 LIMIT $3";

pub(crate) async fn fetch_after(
    conn: &mut PgConnection,
    after: Checkpoint,
    limit: i64,
) -> anyhow::Result<Vec<OutboxEvent>> {
    sqlx::query_as(FETCH_AFTER)
        .bind(after.transaction_id)
        .bind(after.position)
        .bind(limit)
        .fetch_all(conn)
        .await
        .context("reading the events table")
}

impl OutboxEvent {
    pub fn kind(&self) -> anyhow::Result<AggregateKind> {
        AggregateKind::from_aggregate_type(&self.aggregate_type).ok_or_else(|| {
            anyhow!("event {} has an aggregate type with no topic: {}", self.event_id, self.aggregate_type)
        })
    }

    /// The event as it goes on the log. A row that does not decode is a bug
    /// in the writer, not bad input: the relay stops on it rather than skip
    /// an event every consumer would then miss.
    pub fn to_envelope(&self) -> anyhow::Result<LogEnvelope> {
        let context = || format!("decoding event {} ({} {})", self.event_id, self.aggregate_type, self.event_type);
        // Deserialize from the row's JSON in place: `&Value` is a
        // deserializer, so no per-event copy of the payload is made.
        let event = decode_event(self.kind()?, &self.payload).with_context(context)?;
        let map: HashMap<String, String> = Deserialize::deserialize(&self.metadata).with_context(context)?;
        let metadata = EventMetadata::from_map(&map).with_context(context)?;
        envelope(self.event_id, &self.aggregate_id, self.sequence, &self.hash, metadata, event).with_context(context)
    }
}

/// An event's payload as its aggregate's event type, from any JSON
/// deserializer (a row's parsed value, or its text).
pub fn decode_event<'de, D: serde::Deserializer<'de>>(kind: AggregateKind, payload: D) -> Result<LogEvent, D::Error> {
    Ok(match kind {
        AggregateKind::Chat => LogEvent::Chat(Deserialize::deserialize(payload)?),
        AggregateKind::Clip => LogEvent::Clip(Deserialize::deserialize(payload)?),
        AggregateKind::Publication => LogEvent::Publication(Deserialize::deserialize(payload)?),
        AggregateKind::Channel => LogEvent::Channel(Deserialize::deserialize(payload)?),
        AggregateKind::CommandUse => LogEvent::CommandUse(Deserialize::deserialize(payload)?),
        AggregateKind::Giveaway => LogEvent::Giveaway(Deserialize::deserialize(payload)?),
        AggregateKind::Poll => LogEvent::Poll(Deserialize::deserialize(payload)?),
        AggregateKind::Identity => LogEvent::Identity(Deserialize::deserialize(payload)?),
        AggregateKind::Team => LogEvent::Team(Deserialize::deserialize(payload)?),
    })
}

/// The envelope of a decoded event and its row's other columns.
pub fn envelope(
    event_id: Uuid,
    aggregate_id: &str,
    sequence: i64,
    hash: &[u8],
    metadata: EventMetadata,
    event: LogEvent,
) -> anyhow::Result<LogEnvelope> {
    Ok(LogEnvelope {
        event_id,
        aggregate_id: aggregate_id.to_owned(),
        sequence: u64::try_from(sequence)?,
        hash: hex::encode(hash),
        metadata,
        event,
    })
}
