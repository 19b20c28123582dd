//! Reading a topic from its first record to its end as it stands now,
//! with no consumer group: what an auditor does with the log alone.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Message, Offset, TopicPartitionList};

use super::KafkaConfig;

/// One record as the log holds it.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// Every record of `topic` whose key `keep` accepts, partition by
/// partition in offset order, up to each partition's high watermark when
/// the read began. Gives up after `timeout`.
pub async fn read_topic(
    config: &KafkaConfig,
    topic: &str,
    keep: impl Fn(Option<&[u8]>) -> bool + Send + 'static,
    timeout: Duration,
) -> anyhow::Result<Vec<RawRecord>> {
    let config = config.clone();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config
            .client_config()
            .set("group.id", "wavestack-audit-reader")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .context("creating a reader")?;
        let metadata = consumer.fetch_metadata(Some(&topic), timeout).context("asking the broker for the topic")?;
        let partitions: Vec<i32> =
            metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
        let mut ends = HashMap::new();
        let mut assignment = TopicPartitionList::new();
        for partition in partitions {
            let (low, high) = consumer
                .fetch_watermarks(&topic, partition, timeout)
                .with_context(|| format!("reading the watermarks of {topic}/{partition}"))?;
            if high > low {
                ends.insert(partition, high);
                assignment.add_partition_offset(&topic, partition, Offset::Offset(low))?;
            }
        }
        let mut records = Vec::new();
        if ends.is_empty() {
            return Ok(records);
        }
        consumer.assign(&assignment).context("assigning the topic's partitions")?;
        let deadline = Instant::now() + timeout;
        while !ends.is_empty() {
            anyhow::ensure!(Instant::now() < deadline, "the log did not deliver {topic} to its end within {timeout:?}");
            let Some(message) = consumer.poll(Duration::from_millis(200)) else { continue };
            let message = message.context("reading the topic")?;
            let (partition, offset) = (message.partition(), message.offset());
            if keep(message.key()) {
                records.push(RawRecord {
                    partition,
                    offset,
                    key: message.key().map(<[u8]>::to_vec),
                    value: message.payload().map(<[u8]>::to_vec),
                });
            }
            if ends.get(&partition).is_some_and(|end| offset + 1 >= *end) {
                ends.remove(&partition);
            }
        }
        Ok(records)
    })
    .await
    .context("the topic reader panicked")?
}
