use std::time::Duration;

use anyhow::{anyhow, Context};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use wavestack_schemas::Codec;

use super::OutboxEvent;

/// Headers on every record, so tools can filter without decoding Avro.
pub const HEADER_EVENT_TYPE: &str = "wavestack.event_type";
pub const HEADER_EVENT_ID: &str = "wavestack.event_id";

/// Enqueues the whole batch in order, then waits for every acknowledgement.
/// Enqueueing one record at a time (never two futures racing for queue
/// space) keeps the batch's order per partition.
pub(crate) async fn produce_all(producer: &FutureProducer, codec: &Codec, batch: &[OutboxEvent]) -> anyhow::Result<()> {
    let mut deliveries: Vec<DeliveryFuture> = Vec::with_capacity(batch.len());
    for event in batch {
        let envelope = event.to_envelope()?;
        let bytes = codec.encode(&envelope).with_context(|| format!("encoding event {}", event.event_id))?;
        let topic = envelope.event.kind().topic();
        let event_id = event.event_id.to_string();
        let headers = OwnedHeaders::new()
            .insert(Header { key: HEADER_EVENT_TYPE, value: Some(event.event_type.as_str()) })
            .insert(Header { key: HEADER_EVENT_ID, value: Some(event_id.as_str()) });
        let mut record =
            FutureRecord::to(&topic).key(event.aggregate_id.as_str()).payload(bytes.as_slice()).headers(headers);
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    deliveries.push(delivery);
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                    record = returned;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((error, _)) => return Err(anyhow!(error).context("enqueueing a record")),
            }
        }
    }
    for (delivery, event) in deliveries.into_iter().zip(batch) {
        match delivery.await {
            Ok(Ok(_)) => {}
            Ok(Err((error, _))) => {
                return Err(anyhow!(error).context(format!("broker did not acknowledge event {}", event.event_id)))
            }
            Err(_) => return Err(anyhow!("producer dropped event {} before acknowledging", event.event_id)),
        }
    }
    Ok(())
}
