use anyhow::{anyhow, Context};
use serde::Deserialize;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;
use wavestack_domain::metadata::StoredMetadata;
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
    /// The event as it goes on the log. A row that does not decode is a bug
    /// in the writer, not bad input: the relay stops on it rather than skip
    /// an event every consumer would then miss.
    pub fn to_envelope(&self) -> anyhow::Result<LogEnvelope> {
        // Deserialized from the row's JSON in place: `&Value` is a
        // deserializer, so no per-event copy of the payload is made.
        let row = StoredRow {
            event_id: self.event_id,
            aggregate_type: &self.aggregate_type,
            aggregate_id: &self.aggregate_id,
            sequence: self.sequence,
            hash: &self.hash,
        };
        row.decode(&self.payload, &self.metadata)
    }
}

/// A row of `events` besides its payload and metadata: what the relay and
/// the store's readers turn into the envelope the log carries.
#[derive(Debug)]
pub struct StoredRow<'a> {
    pub event_id: Uuid,
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    pub hash: &'a [u8],
}

impl StoredRow<'_> {
    /// The envelope, from the payload and metadata as any JSON
    /// deserializers (the row's parsed values, or their text): the payload
    /// straight into the aggregate's event type, the metadata borrowed.
    pub fn decode<'de, P, M>(&self, payload: P, metadata: M) -> anyhow::Result<LogEnvelope>
    where
        P: serde::Deserializer<'de, Error = serde_json::Error>,
        M: serde::Deserializer<'de, Error = serde_json::Error>,
    {
        let context = || format!("decoding event {} ({} {})", self.event_id, self.aggregate_type, self.aggregate_id);
        let kind = AggregateKind::from_aggregate_type(self.aggregate_type).ok_or_else(|| {
            anyhow!("event {} has an aggregate type with no topic: {}", self.event_id, self.aggregate_type)
        })?;
        let event = decode_event(kind, payload).with_context(context)?;
        let stored = StoredMetadata::deserialize(metadata).with_context(context)?;
        Ok(LogEnvelope {
            event_id: self.event_id,
            aggregate_id: self.aggregate_id.to_owned(),
            sequence: u64::try_from(self.sequence).with_context(context)?,
            hash: hex::encode(self.hash),
            metadata: stored.checked().with_context(context)?,
            event,
        })
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
