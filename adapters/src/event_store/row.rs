//! A row of `events` as the store's readers see it, and its decoding into
//! the envelope the log carries.

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use uuid::Uuid;
use wavestack_domain::metadata::StoredMetadata;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

/// A place in the store's log order: just after the row with these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LogCursor {
    /// The writing transaction's xid8 (fits an i64 for the next few aeons).
    pub transaction_id: i64,
    pub position: i64,
}

/// One event as read in log order. The payload and metadata are their
/// text: parsed once, straight into the event types, rather than into a
/// JSON tree first.
#[derive(Debug, Clone, FromRow)]
pub struct StoredEvent {
    pub transaction_id: i64,
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_id: Uuid,
    pub payload: String,
    pub metadata: String,
    pub hash: Vec<u8>,
}

impl StoredEvent {
    /// Where the next read after this event starts.
    pub fn cursor(&self) -> LogCursor {
        LogCursor { transaction_id: self.transaction_id, position: self.position }
    }

    /// The event as it goes on the log. A row that does not decode is a bug
    /// in the writer, not bad input: a reader stops on it rather than skip
    /// an event every consumer would then miss.
    pub fn to_envelope(&self) -> anyhow::Result<LogEnvelope> {
        let row = StoredRow {
            event_id: self.event_id,
            aggregate_type: &self.aggregate_type,
            aggregate_id: &self.aggregate_id,
            sequence: self.sequence,
            hash: &self.hash,
        };
        row.decode(
            &mut serde_json::Deserializer::from_str(&self.payload),
            &mut serde_json::Deserializer::from_str(&self.metadata),
        )
    }
}

/// A row of `events` besides its payload and metadata: what the store's
/// readers turn into the envelope the log carries.
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
        AggregateKind::Broadcast => LogEvent::Broadcast(Deserialize::deserialize(payload)?),
        AggregateKind::Delivery => LogEvent::Delivery(Deserialize::deserialize(payload)?),
    })
}
