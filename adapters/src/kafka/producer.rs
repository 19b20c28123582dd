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
        // A delivery still failing after this is reported to the relay, which
        // retries the batch from its checkpoint: nothing is dropped.
        .set("message.timeout.ms", "30000")
        .create()
        .context("creating the Kafka producer")
}
