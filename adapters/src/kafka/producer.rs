use anyhow::Context;
use rdkafka::producer::FutureProducer;

use super::KafkaConfig;

/// The producer the relay writes with: idempotent (no duplicates or
/// reordering from its own retries) and acks=all.
pub fn idempotent_producer(config: &KafkaConfig) -> anyhow::Result<FutureProducer> {
    config
        .client_config()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("max.in.flight.requests.per.connection", "5")
        // Same partition for a key as the Java client picks, so tools that
        // produce with Java clients agree on where an aggregate lives.
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        // Never time a message out inside librdkafka: a timed-out message
        // makes an idempotent producer drain and take a new producer id
        // while its old requests may still be in the broker's queue, and
        // against tansu 0.6 that is what ended in the storage panic
        // (`lite.rs:503`) after a stall. The relay keeps its own deadline
        // instead and replaces the whole producer when it passes
        // (`LogProducer::renew`).
        .set("message.timeout.ms", "0")
        .create()
        .context("creating the Kafka producer")
}

/// An idempotent producer that can be replaced by a fresh one (a new
/// producer id, sequences from 0) after the broker failed it.
///
/// Why replace rather than let librdkafka recover: after a broker stall or
/// restart its producer resends, and later renumbers, batches the broker
/// may have half-seen; tansu 0.6 does not survive every such sequence
/// (BENCHMARKS.md and "Broker faults" in docs/operators.md say what was found).
/// A fresh producer has no history for the broker to check: its first
/// batch is sequence 0 of a new producer id. Whatever the old one had in
/// flight is resent by the relay from its checkpoint, and consumers drop
/// duplicates by (aggregate id, sequence).
pub struct LogProducer {
    kafka: KafkaConfig,
    producer: FutureProducer,
}

impl std::fmt::Debug for LogProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogProducer").finish_non_exhaustive()
    }
}

impl LogProducer {
    pub fn new(kafka: &KafkaConfig) -> anyhow::Result<Self> {
        Ok(Self { kafka: kafka.clone(), producer: idempotent_producer(kafka)? })
    }

    pub fn producer(&self) -> &FutureProducer {
        &self.producer
    }

    /// Puts a fresh producer in place of this one. The old one is destroyed
    /// on a blocking thread: librdkafka's destroy purges what it still holds
    /// and joins its threads, which can take a while against a broker that
    /// does not answer.
    pub fn renew(&mut self) -> anyhow::Result<()> {
        let fresh = idempotent_producer(&self.kafka)?;
        let old = std::mem::replace(&mut self.producer, fresh);
        tokio::task::spawn_blocking(move || drop(old));
        Ok(())
    }
}
