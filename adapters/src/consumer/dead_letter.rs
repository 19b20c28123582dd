//! `wavestack.dlq.<consumer>`: records a consumer could not decode or
//! handle, byte for byte, with why and where from in headers. The consumer
//! moves on; an operator reads the topic (any Kafka tool) to repair.

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
    producer: FutureProducer,
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
        // Not idempotent: a dead letter is written at least once anyway,
        // and a producer with no sequences has nothing for the broker to
        // trip on after a fault.
        let producer = kafka
            .client_config()
            .set("acks", "all")
            .set("message.timeout.ms", "30000")
            .create()
            .context("creating the dead-letter producer")?;
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
