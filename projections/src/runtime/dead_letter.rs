//! `wavestack.dlq.<projection>`: records a projection could not decode or
//! apply, byte for byte, with why and where from in headers.

use std::time::Duration;

use anyhow::Context;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::Record;

pub const HEADER_ERROR: &str = "wavestack.dlq.error";
/// `<topic>/<partition>/<offset>` of the original record.
pub const HEADER_SOURCE: &str = "wavestack.dlq.source";

pub fn dead_letter_topic(projection: &str) -> String {
    format!("wavestack.dlq.{projection}")
}

pub(super) async fn send(
    producer: &FutureProducer,
    projection: &str,
    record: &Record,
    error: &str,
) -> anyhow::Result<()> {
    let topic = dead_letter_topic(projection);
    let source = format!("{}/{}/{}", record.topic, record.partition, record.offset);
    let headers = OwnedHeaders::new()
        .insert(Header { key: HEADER_ERROR, value: Some(error) })
        .insert(Header { key: HEADER_SOURCE, value: Some(source.as_str()) });
    let mut message = FutureRecord::to(&topic).payload(&record.payload).headers(headers);
    if let Some(key) = &record.key {
        message = message.key(key);
    }
    producer
        .send(message, Duration::from_secs(30))
        .await
        .map_err(|(error, _)| error)
        .with_context(|| format!("sending a dead letter to {topic}"))?;
    Ok(())
}
