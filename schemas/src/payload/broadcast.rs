use apache_avro::types::Value;
use wavestack_domain::broadcast::*;
use wavestack_domain::value::*;

use crate::error::CodecError;
use crate::fields::{branch, invalid, long, nullable, record, string, timestamp, Fields};

pub(crate) fn to_avro(event: &BroadcastEvent) -> Value {
    let text = |s: &str| string(s);
    let (index, value) = match event {
        BroadcastEvent::SupportReceived(e) => (
            0,
            record([
                ("event_id", text(e.event_id.as_str())),
                ("kind", text(e.kind.as_str())),
                ("user_id", nullable(e.user_id.as_ref().map(|u| text(u.as_str())))),
                ("user_name", nullable(e.user_name.as_ref().map(|n| text(n.as_str())))),
                ("tier", nullable(e.tier.map(|t| text(t.as_str())))),
                ("amount", long(e.amount)),
                ("gifted", Value::Boolean(e.gifted)),
                ("message", text(&e.message)),
                ("reward", text(&e.reward)),
                ("points", long(e.points)),
                ("at", timestamp(e.at)),
            ]),
        ),
        BroadcastEvent::StreamStarted(e) => {
            (1, record([("event_id", text(e.event_id.as_str())), ("started_at", timestamp(e.started_at))]))
        }
        BroadcastEvent::StreamEnded(e) => (
            2,
            record([
                ("event_id", text(e.event_id.as_str())),
                ("started_at", nullable(e.started_at.map(timestamp))),
                ("ended_at", timestamp(e.ended_at)),
            ]),
        ),
        BroadcastEvent::ChatMessageDeleted(e) => (
            3,
            record([
                ("event_id", text(e.event_id.as_str())),
                ("message_id", text(e.message_id.as_str())),
                ("user_id", text(e.user_id.as_str())),
                ("at", timestamp(e.at)),
            ]),
        ),
        BroadcastEvent::ChatCleared(e) => {
            (4, record([("event_id", text(e.event_id.as_str())), ("at", timestamp(e.at))]))
        }
    };
    Value::Union(index, Box::new(value))
}

pub(crate) fn from_avro(payload: Value) -> Result<BroadcastEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    let event_id = |f: &mut Fields| f.parsed("event_id", PlatformEventId::parse);
    Ok(match index {
        0 => BroadcastEvent::SupportReceived(SupportReceived {
            event_id: event_id(&mut f)?,
            kind: f.parsed("kind", |raw: String| SupportKind::parse(&raw))?,
            user_id: optional(&mut f, "user_id", PlatformUserId::parse)?,
            user_name: optional(&mut f, "user_name", DisplayName::parse)?,
            tier: optional(&mut f, "tier", |raw: String| SubTier::parse(&raw))?,
            amount: f.long("amount")?,
            gifted: f.boolean("gifted")?,
            message: f.string("message")?,
            reward: f.string("reward")?,
            points: f.long("points")?,
            at: f.timestamp("at")?,
        }),
        1 => BroadcastEvent::StreamStarted(StreamStarted {
            event_id: event_id(&mut f)?,
            started_at: f.timestamp("started_at")?,
        }),
        2 => BroadcastEvent::StreamEnded(StreamEnded {
            event_id: event_id(&mut f)?,
            started_at: f.optional_timestamp("started_at")?,
            ended_at: f.timestamp("ended_at")?,
        }),
        3 => BroadcastEvent::ChatMessageDeleted(ChatMessageDeleted {
            event_id: event_id(&mut f)?,
            message_id: f.parsed("message_id", MessageId::parse)?,
            user_id: f.parsed("user_id", PlatformUserId::parse)?,
            at: f.timestamp("at")?,
        }),
        4 => BroadcastEvent::ChatCleared(ChatCleared { event_id: event_id(&mut f)?, at: f.timestamp("at")? }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known broadcast event" }),
    })
}

fn optional<T>(
    f: &mut Fields,
    field: &'static str,
    parse: impl Fn(String) -> Result<T, ValueError>,
) -> Result<Option<T>, CodecError> {
    f.optional_string(field)?.map(|raw| parse(raw).map_err(invalid(field))).transpose()
}
