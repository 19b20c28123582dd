use apache_avro::types::Value;
use wavestack_domain::publication::*;
use wavestack_domain::value::*;

use super::closed_enum;
use crate::error::CodecError;
use crate::fields::{branch, int, invalid, nullable, record, string, symbol_of, timestamp, Fields};

fn target(t: TargetPlatform) -> Value {
    closed_enum(TargetPlatform::ALL, t, t.as_str())
}

fn asset(a: &Asset) -> Value {
    match a {
        Asset::Clip(id) => Value::Union(0, Box::new(record([("clip_id", Value::Uuid(id.as_uuid()))]))),
        Asset::Url(url) => Value::Union(1, Box::new(record([("url", string(url.as_str()))]))),
    }
}

pub(crate) fn to_avro(event: &PublicationEvent) -> Value {
    let (index, value) = match event {
        PublicationEvent::PublicationCreated(e) => (
            0,
            record([
                ("publication_id", Value::Uuid(e.publication_id.as_uuid())),
                ("asset", asset(&e.asset)),
                ("targets", Value::Array(e.targets.iter().map(target).collect())),
                ("title", string(e.title.as_str())),
                ("caption", string(e.caption.as_str())),
                ("hashtags", Value::Array(e.hashtags.iter().map(|h| string(h.as_str())).collect())),
                ("scheduled_at", nullable(e.scheduled_at.map(timestamp))),
                ("idempotency_key", nullable(e.idempotency_key.as_ref().map(|k| string(k.as_str())))),
                ("waiting_for_asset", Value::Boolean(e.waiting_for_asset)),
            ]),
        ),
        PublicationEvent::PublicationAssetReady(e) => (1, record([("media_uri", string(e.media_uri.as_str()))])),
        PublicationEvent::PublicationRescheduled(e) => (2, record([("scheduled_at", timestamp(e.scheduled_at))])),
        PublicationEvent::PublicationCancelled(_) => (3, Value::Record(vec![])),
        PublicationEvent::PublishAttemptStarted(e) => (
            4,
            record([
                ("target", target(e.target)),
                ("attempt", int(e.attempt)),
                ("started_at", timestamp(e.started_at)),
            ]),
        ),
        PublicationEvent::TargetPublished(e) => (
            5,
            record([
                ("target", target(e.target)),
                ("attempt", int(e.attempt)),
                ("post_id", string(e.post_id.as_str())),
                ("url", nullable(e.url.as_ref().map(|u| string(u.as_str())))),
            ]),
        ),
        PublicationEvent::TargetPublishFailed(e) => (
            6,
            record([
                ("target", target(e.target)),
                ("attempt", int(e.attempt)),
                ("error", string(e.error.as_str())),
                ("next_retry_at", nullable(e.next_retry_at.map(timestamp))),
                ("gave_up", Value::Boolean(e.gave_up)),
            ]),
        ),
    };
    Value::Union(index, Box::new(value))
}

fn parse_asset(value: Value) -> Result<Asset, CodecError> {
    let (index, inner) = branch(value, "asset")?;
    let mut f = Fields::of(inner, "asset")?;
    match index {
        0 => Ok(Asset::Clip(ClipId::from_uuid(f.uuid("clip_id")?))),
        1 => Ok(Asset::Url(f.parsed("url", AssetUrl::parse)?)),
        _ => Err(CodecError::Shape { field: "asset", expected: "ClipAsset or UrlAsset" }),
    }
}

pub(crate) fn from_avro(payload: Value) -> Result<PublicationEvent, CodecError> {
    let (index, value) = branch(payload, "payload")?;
    let mut f = Fields::of(value, "payload")?;
    Ok(match index {
        0 => PublicationEvent::PublicationCreated(PublicationCreated {
            publication_id: PublicationId::from_uuid(f.uuid("publication_id")?),
            asset: parse_asset(f.take("asset")?)?,
            targets: {
                let targets = f
                    .array("targets")?
                    .into_iter()
                    .map(|v| TargetPlatform::parse(&symbol_of(v, "targets")?).map_err(invalid("targets")))
                    .collect::<Result<Vec<_>, _>>()?;
                Targets::parse(targets).map_err(invalid("targets"))?
            },
            title: f.parsed("title", Title::parse)?,
            caption: f.parsed("caption", Caption::parse)?,
            hashtags: {
                let tags = f
                    .array("hashtags")?
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Hashtag::parse(&s).map_err(invalid("hashtags")),
                        _ => Err(CodecError::Shape { field: "hashtags", expected: "strings" }),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Hashtags::parse(tags).map_err(invalid("hashtags"))?
            },
            scheduled_at: f.optional_timestamp("scheduled_at")?,
            idempotency_key: f
                .optional_string("idempotency_key")?
                .map(|k| IdempotencyKey::parse(k).map_err(invalid("idempotency_key")))
                .transpose()?,
            waiting_for_asset: f.boolean("waiting_for_asset")?,
        }),
        1 => PublicationEvent::PublicationAssetReady(PublicationAssetReady {
            media_uri: f.parsed("media_uri", MediaUri::parse)?,
        }),
        2 => PublicationEvent::PublicationRescheduled(PublicationRescheduled {
            scheduled_at: f.timestamp("scheduled_at")?,
        }),
        3 => PublicationEvent::PublicationCancelled(PublicationCancelled {}),
        4 => PublicationEvent::PublishAttemptStarted(PublishAttemptStarted {
            target: f.symbol_parsed("target", TargetPlatform::parse)?,
            attempt: f.int("attempt")?,
            started_at: f.timestamp("started_at")?,
        }),
        5 => PublicationEvent::TargetPublished(TargetPublished {
            target: f.symbol_parsed("target", TargetPlatform::parse)?,
            attempt: f.int("attempt")?,
            post_id: f.parsed("post_id", PostId::parse)?,
            url: f.optional_string("url")?.map(|u| AssetUrl::parse(u).map_err(invalid("url"))).transpose()?,
        }),
        6 => PublicationEvent::TargetPublishFailed(TargetPublishFailed {
            target: f.symbol_parsed("target", TargetPlatform::parse)?,
            attempt: f.int("attempt")?,
            error: f.parsed("error", FailureReason::parse)?,
            next_retry_at: f.optional_timestamp("next_retry_at")?,
            gave_up: f.boolean("gave_up")?,
        }),
        _ => return Err(CodecError::Shape { field: "payload", expected: "a known publication event" }),
    })
}
