use apache_avro::types::Value;
use wavestack_domain::clip::{
    ClipDeleted, ClipEvent, ClipRenderingFailed, ClipRenderingStarted, ClipRequested, RenderedClip,
};
use wavestack_domain::value::*;

use super::closed_enum;
use crate::error::CodecError;
use crate::fields::{branch, int, invalid, long, record, string, Fields};

pub(crate) fn to_avro(event: &ClipEvent) -> Value {
    let (index, value) = match event {
        ClipEvent::ClipRequested(e) => (
            0,
            record([
                ("clip_id", Value::Uuid(e.clip_id.as_uuid())),
                ("channel", string(e.channel.as_str())),
                ("source", string(e.source.as_str())),
                ("start_ms", long(e.start.millis())),
                ("duration_ms", long(e.duration.millis())),
                ("container", closed_enum(Container::ALL, e.container, e.container.as_str())),
                ("reencode", Value::Boolean(e.reencode)),
                ("title", string(e.title.as_str())),
                ("requested_by", string(e.requested_by.as_str())),
            ]),
        ),
        ClipEvent::ClipRenderingStarted(e) => {
            (1, record([("attempt", int(e.attempt)), ("worker", string(e.worker.as_str()))]))
        }
        ClipEvent::ClipRendered(e) => (
            2,
            record([
                ("uri", string(e.uri.as_str())),
                ("thumbnail_uri", string(e.thumbnail_uri.as_str())),
                ("duration_ms", long(e.duration_ms)),
                ("size_bytes", long(e.size_bytes)),
                ("sha256", string(e.sha256.as_str())),
            ]),
        ),
        ClipEvent::ClipRenderingFailed(e) => (
            3,
            record([
                ("attempt", int(e.attempt)),
                ("reason", string(e.reason.as_str())),
                ("retryable", Value::Boolean(e.retryable)),
            ]),
        ),
        ClipEvent::ClipDeleted(e) => (4, record([("reason", string(e.reason.as_str()))])),
    };
    Value::Union(index, Box::new(value))
}

pub(crate) fn from_avro(payload: Value) -> Result<ClipEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    Ok(match index {
        0 => ClipEvent::ClipRequested(ClipRequested {
            clip_id: ClipId::from_uuid(f.uuid("clip_id")?),
            channel: f.parsed("channel", ChannelId::parse)?,
            source: f.parsed("source", ClipSource::parse)?,
            start: ClipStart::from_millis(f.long("start_ms")?).map_err(invalid("start_ms"))?,
            duration: ClipDuration::from_millis(f.long("duration_ms")?).map_err(invalid("duration_ms"))?,
            container: f.symbol_parsed("container", Container::parse)?,
            reencode: f.boolean("reencode")?,
            title: f.parsed("title", Title::parse)?,
            requested_by: f.parsed("requested_by", ActorId::parse)?,
        }),
        1 => ClipEvent::ClipRenderingStarted(ClipRenderingStarted {
            attempt: f.int("attempt")?,
            worker: f.parsed("worker", ActorId::parse)?,
        }),
        2 => ClipEvent::ClipRendered(RenderedClip {
            uri: f.parsed("uri", MediaUri::parse)?,
            thumbnail_uri: f.parsed("thumbnail_uri", MediaUri::parse)?,
            duration_ms: f.long("duration_ms")?,
            size_bytes: f.long("size_bytes")?,
            sha256: f.parsed("sha256", ContentHash::parse)?,
        }),
        3 => ClipEvent::ClipRenderingFailed(ClipRenderingFailed {
            attempt: f.int("attempt")?,
            reason: f.parsed("reason", FailureReason::parse)?,
            retryable: f.boolean("retryable")?,
        }),
        4 => ClipEvent::ClipDeleted(ClipDeleted { reason: f.parsed("reason", FailureReason::parse)? }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known clip event" }),
    })
}
