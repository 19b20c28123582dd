//! The envelope every record on the log carries around its payload.

use apache_avro::types::Value;
use uuid::Uuid;
use wavestack_domain::broadcast::BroadcastEvent;
use wavestack_domain::channel::ChannelEvent;
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::CommandUseEvent;
use wavestack_domain::clip::ClipEvent;
use wavestack_domain::delivery::DeliveryEvent;
use wavestack_domain::giveaway::GiveawayEvent;
use wavestack_domain::identity::IdentityEvent;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::poll::PollEvent;
use wavestack_domain::publication::PublicationEvent;
use wavestack_domain::team::TeamEvent;
use wavestack_domain::value::{ActorId, OrgId};

use crate::catalog::AggregateKind;
use crate::error::CodecError;
use crate::fields::{long, nullable, record, string, timestamp, Fields};
use crate::payload;

/// A domain event of any aggregate that has a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    Chat(ChatEvent),
    Clip(ClipEvent),
    Publication(PublicationEvent),
    Channel(ChannelEvent),
    CommandUse(CommandUseEvent),
    Giveaway(GiveawayEvent),
    Poll(PollEvent),
    Identity(IdentityEvent),
    Team(TeamEvent),
    Broadcast(BroadcastEvent),
    Delivery(DeliveryEvent),
}

impl LogEvent {
    pub fn kind(&self) -> AggregateKind {
        match self {
            LogEvent::Chat(_) => AggregateKind::Chat,
            LogEvent::Clip(_) => AggregateKind::Clip,
            LogEvent::Publication(_) => AggregateKind::Publication,
            LogEvent::Channel(_) => AggregateKind::Channel,
            LogEvent::CommandUse(_) => AggregateKind::CommandUse,
            LogEvent::Giveaway(_) => AggregateKind::Giveaway,
            LogEvent::Poll(_) => AggregateKind::Poll,
            LogEvent::Identity(_) => AggregateKind::Identity,
            LogEvent::Team(_) => AggregateKind::Team,
            LogEvent::Broadcast(_) => AggregateKind::Broadcast,
            LogEvent::Delivery(_) => AggregateKind::Delivery,
        }
    }

    /// The event's fields as JSON, without the enum tag (its name is
    /// `name()`): what the audit log, the exports and the audit chain show.
    pub fn payload_json(&self) -> serde_json::Value {
        let tagged = match self {
            LogEvent::Chat(e) => serde_json::to_value(e),
            LogEvent::Clip(e) => serde_json::to_value(e),
            LogEvent::Publication(e) => serde_json::to_value(e),
            LogEvent::Channel(e) => serde_json::to_value(e),
            LogEvent::CommandUse(e) => serde_json::to_value(e),
            LogEvent::Giveaway(e) => serde_json::to_value(e),
            LogEvent::Poll(e) => serde_json::to_value(e),
            LogEvent::Identity(e) => serde_json::to_value(e),
            LogEvent::Team(e) => serde_json::to_value(e),
            LogEvent::Broadcast(e) => serde_json::to_value(e),
            LogEvent::Delivery(e) => serde_json::to_value(e),
        }
        // Every event is plain data with string keys: serialising it to a
        // `Value` cannot fail.
        .expect("an event serialises to JSON");
        match tagged {
            serde_json::Value::Object(map) if map.len() == 1 => map.into_iter().next().expect("one entry").1,
            other => other,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            LogEvent::Chat(e) => e.name(),
            LogEvent::Clip(e) => e.name(),
            LogEvent::Publication(e) => e.name(),
            LogEvent::Channel(e) => e.name(),
            LogEvent::CommandUse(e) => e.name(),
            LogEvent::Giveaway(e) => e.name(),
            LogEvent::Poll(e) => e.name(),
            LogEvent::Identity(e) => e.name(),
            LogEvent::Team(e) => e.name(),
            LogEvent::Broadcast(e) => e.name(),
            LogEvent::Delivery(e) => e.name(),
        }
    }
}

/// One event as it travels on the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEnvelope {
    /// Assigned by the event store once; a redelivery carries the same id.
    pub event_id: Uuid,
    pub aggregate_id: String,
    pub sequence: u64,
    /// Hex SHA-256 of the stream's hash chain at this event.
    pub hash: String,
    pub metadata: EventMetadata,
    pub event: LogEvent,
}

impl LogEnvelope {
    /// The record as the log carries it (before framing), in the
    /// aggregate's latest schema: what the Avro exports write.
    pub fn to_avro(&self) -> Value {
        let m = &self.metadata;
        let payload = match &self.event {
            LogEvent::Chat(e) => payload::chat::to_avro(e),
            LogEvent::Clip(e) => payload::clip::to_avro(e),
            LogEvent::Publication(e) => payload::publication::to_avro(e),
            LogEvent::Channel(e) => payload::channel::to_avro(e),
            LogEvent::CommandUse(e) => payload::command_use::to_avro(e),
            LogEvent::Giveaway(e) => payload::giveaway::to_avro(e),
            LogEvent::Poll(e) => payload::poll::to_avro(e),
            LogEvent::Identity(e) => payload::identity::to_avro(e),
            LogEvent::Team(e) => payload::team::to_avro(e),
            LogEvent::Broadcast(e) => payload::broadcast::to_avro(e),
            LogEvent::Delivery(e) => payload::delivery::to_avro(e),
        };
        record([
            ("event_id", Value::Uuid(self.event_id)),
            ("aggregate_id", string(self.aggregate_id.as_str())),
            ("sequence", long(self.sequence)),
            ("occurred_at", timestamp(m.occurred_at)),
            ("org", string(m.org.as_str())),
            ("actor", string(m.actor.as_str())),
            ("correlation_id", Value::Uuid(m.correlation_id)),
            ("causation_id", nullable(m.causation_id.map(Value::Uuid))),
            ("request_id", nullable(m.request_id.clone().map(Value::String))),
            ("hash", string(self.hash.as_str())),
            ("payload", payload),
        ])
    }

    pub(crate) fn from_avro(kind: AggregateKind, value: Value) -> Result<Self, CodecError> {
        let mut f = Fields::of(value, "envelope")?;
        let payload = f.take("payload")?;
        let event = match kind {
            AggregateKind::Chat => LogEvent::Chat(payload::chat::from_avro(payload)?),
            AggregateKind::Clip => LogEvent::Clip(payload::clip::from_avro(payload)?),
            AggregateKind::Publication => LogEvent::Publication(payload::publication::from_avro(payload)?),
            AggregateKind::Channel => LogEvent::Channel(payload::channel::from_avro(payload)?),
            AggregateKind::CommandUse => LogEvent::CommandUse(payload::command_use::from_avro(payload)?),
            AggregateKind::Giveaway => LogEvent::Giveaway(payload::giveaway::from_avro(payload)?),
            AggregateKind::Poll => LogEvent::Poll(payload::poll::from_avro(payload)?),
            AggregateKind::Identity => LogEvent::Identity(payload::identity::from_avro(payload)?),
            AggregateKind::Team => LogEvent::Team(payload::team::from_avro(payload)?),
            AggregateKind::Broadcast => LogEvent::Broadcast(payload::broadcast::from_avro(payload)?),
            AggregateKind::Delivery => LogEvent::Delivery(payload::delivery::from_avro(payload)?),
        };
        let causation_id = f
            .optional_string("causation_id")?
            .map(|raw| {
                Uuid::parse_str(&raw).map_err(|_| CodecError::Shape { field: "causation_id", expected: "a UUID" })
            })
            .transpose()?;
        Ok(Self {
            event_id: f.uuid("event_id")?,
            aggregate_id: f.string("aggregate_id")?,
            sequence: f.long("sequence")?,
            hash: f.string("hash")?,
            metadata: EventMetadata {
                occurred_at: f.timestamp("occurred_at")?,
                org: f.parsed("org", OrgId::parse)?,
                actor: f.parsed("actor", ActorId::parse)?,
                correlation_id: f.uuid("correlation_id")?,
                causation_id,
                request_id: f.optional_string("request_id")?,
            },
            event,
        })
    }
}
