use apache_avro::types::Value;
use wavestack_domain::delivery::*;
use wavestack_domain::value::*;

use super::closed_enum;
use crate::error::CodecError;
use crate::fields::{branch, int, nullable, record, string, timestamp, Fields};

fn optional(value: Option<&str>) -> Value {
    nullable(value.map(|v| Value::String(v.to_owned())))
}

pub(crate) fn to_avro(event: &DeliveryEvent) -> Value {
    let (index, value) = match event {
        DeliveryEvent::DeliveryStarted(e) => (
            0,
            record([
                ("delivery", string(e.delivery.as_str())),
                ("kind", closed_enum(DeliveryKind::ALL, e.kind, e.kind.as_str())),
                ("message_id", optional(e.message_id.as_ref().map(|m| m.as_str()))),
                ("user_id", optional(e.user_id.as_ref().map(|u| u.as_str()))),
                ("text", string(e.text.as_str())),
                ("at", timestamp(e.at)),
            ]),
        ),
        DeliveryEvent::DeliveryExecuted(e) => (
            1,
            record([
                ("delivery", string(e.delivery.as_str())),
                ("platform_id", optional(e.platform_id.as_deref())),
                ("at", timestamp(e.at)),
            ]),
        ),
        DeliveryEvent::DeliveryFailed(e) => (
            2,
            record([
                ("delivery", string(e.delivery.as_str())),
                ("status", int(u32::from(e.status))),
                ("answer", string(e.answer.as_str())),
                ("at", timestamp(e.at)),
            ]),
        ),
        DeliveryEvent::DeliveryFateUnknown(e) => {
            (3, record([("delivery", string(e.delivery.as_str())), ("at", timestamp(e.at))]))
        }
    };
    Value::Union(index, Box::new(value))
}

pub(crate) fn from_avro(payload: Value) -> Result<DeliveryEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    Ok(match index {
        0 => DeliveryEvent::DeliveryStarted(DeliveryStarted {
            delivery: f.string("delivery")?,
            kind: f.symbol_parsed("kind", DeliveryKind::parse)?,
            message_id: f
                .optional_string("message_id")?
                .map(MessageId::parse)
                .transpose()
                .map_err(crate::fields::invalid("message_id"))?,
            user_id: f
                .optional_string("user_id")?
                .map(PlatformUserId::parse)
                .transpose()
                .map_err(crate::fields::invalid("user_id"))?,
            text: f.string("text")?,
            at: f.timestamp("at")?,
        }),
        1 => DeliveryEvent::DeliveryExecuted(DeliveryExecuted {
            delivery: f.string("delivery")?,
            platform_id: f.optional_string("platform_id")?,
            at: f.timestamp("at")?,
        }),
        2 => DeliveryEvent::DeliveryFailed(DeliveryFailed {
            delivery: f.string("delivery")?,
            status: u16::try_from(f.int("status")?)
                .map_err(|_| CodecError::Shape { field: "status", expected: "an HTTP status" })?,
            answer: f.string("answer")?,
            at: f.timestamp("at")?,
        }),
        3 => DeliveryEvent::DeliveryFateUnknown(DeliveryFateUnknown {
            delivery: f.string("delivery")?,
            at: f.timestamp("at")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known delivery event" }),
    })
}
