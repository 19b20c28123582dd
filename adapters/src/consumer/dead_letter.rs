//! `wavestack.dlq.<consumer>`: records a consumer could not decode or
//! handle, byte for byte, with why and where from in headers. The consumer
//! moves on; an operator reads the topic (any Kafka tool) to repair.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use anyhow::Context;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::kafka::{ensure_topics, KafkaConfig};

pub const HEADER_ERROR: &str = "wavestack.dlq.error";
/// `<topic>/<partition>/<offset>` of the original record.
pub const HEADER_SOURCE: &str = "wavestack.dlq.source";

pub fn dead_letter_topic(consumer: &str) -> String {
    format!("wavestack.dlq.{consumer}")
}

/// A record as read from the log, before decoding.
#[derive(Debug, Clone)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

impl Record {
    pub fn from_message(message: &impl rdkafka::message::Message) -> Self {
        Self {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().map(<[u8]>::to_vec).unwrap_or_default(),
        }
    }
}

/// One consumer's dead-letter topic and the producer that writes it.
#[derive(Clone)]
pub struct DeadLetters {
    consumer: String,
    topic: String,
    producer: Arc<FutureProducer>,
}

/// The dead-letter producers in use, one per broker list, shared by every
/// consumer of the process. A producer per consumer was fourteen in
/// `wavestack up`, each with a polling thread (together a tenth of a core
/// on an idle stack: librdkafka's client rounds the last millisecond of
/// each 100 ms poll down to a poll that does not wait) and two broker
/// connections, for topics written only when a record cannot be handled.
/// Held weakly: the producer goes when its last consumer does.
static PRODUCERS: Mutex<Vec<(String, Weak<FutureProducer>)>> = Mutex::new(Vec::new());

fn shared_producer(kafka: &KafkaConfig) -> anyhow::Result<Arc<FutureProducer>> {
    let mut producers = PRODUCERS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    producers.retain(|(_, producer)| producer.strong_count() > 0);
    if let Some(producer) =
        producers.iter().find(|(brokers, _)| *brokers == kafka.brokers).and_then(|(_, p)| p.upgrade())
    {
        return Ok(producer);
    }
    // Not idempotent: a dead letter is written at least once anyway, and a
    // producer with no sequences has nothing for the broker to trip on
    // after a fault.
    let producer: FutureProducer = kafka
        .client_config()
        .set("acks", "all")
        .set("message.timeout.ms", "30000")
        .create()
        .context("creating the dead-letter producer")?;
    let producer = Arc::new(producer);
    producers.push((kafka.brokers.clone(), Arc::downgrade(&producer)));
    Ok(producer)
}

impl std::fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadLetters").field("topic", &self.topic).finish()
    }
}

impl DeadLetters {
    /// Creates the topic if needed. Call before fetching starts: tansu
    /// (SQLite) is slow to answer admin requests while it serves a large
    /// fetch.
    pub async fn open(kafka: &KafkaConfig, consumer: &str) -> anyhow::Result<Self> {
        let topic = dead_letter_topic(consumer);
        ensure_topics(kafka, std::slice::from_ref(&topic)).await?;
        let producer = shared_producer(kafka)?;
        Ok(Self { consumer: consumer.to_owned(), topic, producer })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Writes the record with why; returns once the broker has it.
    pub async fn send(&self, record: &Record, error: &str) -> anyhow::Result<()> {
        tracing::warn!(consumer = %self.consumer, topic = %record.topic, partition = record.partition,
            offset = record.offset, error, "dead-lettering a record");
        let source = format!("{}/{}/{}", record.topic, record.partition, record.offset);
        let headers = OwnedHeaders::new()
            .insert(Header { key: HEADER_ERROR, value: Some(error) })
            .insert(Header { key: HEADER_SOURCE, value: Some(source.as_str()) });
        let mut message = FutureRecord::to(&self.topic).payload(&record.payload).headers(headers);
        if let Some(key) = &record.key {
            message = message.key(key);
        }
        self.producer
            .send(message, Duration::from_secs(30))
            .await
            .map_err(|(error, _)| error)
            .with_context(|| format!("sending a dead letter to {}", self.topic))?;
        metrics::counter!("wavestack_dead_letters_total", "consumer" => self.consumer.clone()).increment(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::shared_producer;
    use crate::kafka::KafkaConfig;

    /// Creating a producer connects nothing yet: no broker is needed.
    #[test]
    fn the_consumers_of_one_broker_share_a_producer_while_any_holds_it() {
        let here = KafkaConfig::new("127.0.0.1:1");
        let first = shared_producer(&here).unwrap();
        let second = shared_producer(&here).unwrap();
        assert!(Arc::ptr_eq(&first, &second), "one producer for one broker list");
        let elsewhere = shared_producer(&KafkaConfig::new("127.0.0.1:2")).unwrap();
        assert!(!Arc::ptr_eq(&first, &elsewhere), "another broker list has its own");
        let weak = Arc::downgrade(&first);
        drop((first, second));
        assert!(weak.upgrade().is_none(), "gone with its last consumer");
    }
}
