//! Kafka: client configuration, topic creation, the idempotent producer and
//! the local Kafka-protocol broker used when no cluster is configured.

mod broker_index;
mod broker_watch;
mod local_broker;
mod producer;
mod resume;
mod topic_partition;
mod topic_reader;
mod topics;

pub use broker_watch::{BrokerProcess, WatchedBroker};
pub use local_broker::{LocalBroker, LocalBrokerStorage};
pub use producer::{idempotent_producer, LogProducer};
pub use resume::{Admit, ResumeGuard};
pub use topic_partition::TopicPartition;
pub use topic_reader::{read_topic, RawRecord};
pub use topics::{ensure_aggregate_topics, ensure_topics, partitions_of, watermarks};

use rdkafka::ClientConfig;

/// Where the log lives and how its topics are laid out.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `host:port[,host:port…]`
    pub brokers: String,
    pub partitions: i32,
    pub replication_factor: i32,
}

impl KafkaConfig {
    pub fn new(brokers: impl Into<String>) -> Self {
        Self { brokers: brokers.into(), partitions: 3, replication_factor: 1 }
    }

    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        config
    }

    /// A consumer of `group` that stores its offsets itself (with what it
    /// writes) and prefetches a bounded amount. librdkafka's default buffers
    /// up to 64 MB per consumer ahead of the reader; with a dozen consumers
    /// in `wavestack up` and a backlog, that was most of the process's
    /// memory. 8 MB still reads the local broker as fast as 64 MB; 4 MB, or
    /// a lower `queued.min.messages`, cut a backlog's read from 39,000 to
    /// 13,000–16,000 records/s, because every pause costs the broker's
    /// `fetch.wait.max.ms` to resume (BENCHMARKS.md, issue 6).
    pub fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut config = self.client_config();
        config
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("queued.max.messages.kbytes", "8192");
        config
    }
}
