use std::time::Duration;

use anyhow::{bail, Context};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;

use super::KafkaConfig;

/// Every aggregate's topic, created if missing (the relay and the
/// projections start together, and either may be first).
pub async fn ensure_aggregate_topics(config: &KafkaConfig) -> anyhow::Result<Vec<String>> {
    let topics: Vec<String> = wavestack_schemas::AggregateKind::ALL.iter().map(|k| k.topic()).collect();
    ensure_topics(config, &topics).await?;
    Ok(topics)
}

/// Creates the topics through the admin API (the same call on Apache Kafka
/// and on the local broker). Topics that exist already are left as they are.
pub async fn ensure_topics(config: &KafkaConfig, topics: &[String]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> =
        config.client_config().create().context("creating the Kafka admin client")?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| NewTopic::new(t, config.partitions, TopicReplication::Fixed(config.replication_factor)))
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .with_context(|| format!("creating topics on {}", config.brokers))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// Every partition of the topics, asked on a blocking thread (librdkafka's
/// metadata call blocks). A topic with no partitions is an error: the
/// broker is up but has not created it.
pub async fn partitions_of(config: &KafkaConfig, topics: &[String]) -> anyhow::Result<Vec<super::TopicPartition>> {
    let config = config.clone();
    let topics = topics.to_vec();
    tokio::task::spawn_blocking(move || {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let consumer: BaseConsumer = config.client_config().create().context("creating a client for metadata")?;
        let mut partitions = Vec::new();
        for topic in topics {
            let metadata = consumer
                .fetch_metadata(Some(&topic), Duration::from_secs(10))
                .with_context(|| format!("reading the partitions of {topic}"))?;
            let count = metadata.topics().first().map(|t| t.partitions().len()).unwrap_or(0);
            if count == 0 {
                bail!("topic {topic} has no partitions (is the relay's broker up?)");
            }
            partitions.extend((0..count as i32).map(|p| super::TopicPartition::new(topic.clone(), p)));
        }
        Ok(partitions)
    })
    .await
    .context("the metadata reader panicked")?
}

/// (low, high) watermarks of every partition of the topics `select` picks,
/// asked on a blocking thread, each request within `timeout`. A broker that
/// does not answer is an error.
pub async fn watermarks(
    config: &KafkaConfig,
    select: impl Fn(&str) -> bool + Send + 'static,
    timeout: Duration,
) -> anyhow::Result<std::collections::HashMap<super::TopicPartition, (i64, i64)>> {
    let config = config.clone();
    tokio::task::spawn_blocking(move || {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let timeout_ms = timeout.as_millis().to_string();
        let consumer: BaseConsumer = config
            .client_config()
            .set("socket.timeout.ms", &timeout_ms)
            .create()
            .context("creating a client for watermarks")?;
        let metadata = consumer.fetch_metadata(None, timeout).context("asking the broker for its topics")?;
        let mut marks = std::collections::HashMap::new();
        for topic in metadata.topics().iter().filter(|t| select(t.name())) {
            for partition in topic.partitions() {
                let marks_of = consumer
                    .fetch_watermarks(topic.name(), partition.id(), timeout)
                    .with_context(|| format!("reading the watermarks of {}/{}", topic.name(), partition.id()))?;
                marks.insert(super::TopicPartition::new(topic.name(), partition.id()), marks_of);
            }
        }
        Ok(marks)
    })
    .await
    .context("the watermark reader panicked")?
}
