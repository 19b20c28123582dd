//! What the pipeline is behind on, read from where the truth is: the
//! broker's high watermarks, the relay's checkpoint against the events
//! table, and each consumer's stored offsets (projections keep theirs in
//! `projection_<name>.offsets`, worker groups in `worker_offsets`). `/ready`
//! and `wavestack status` both print this, so an operator and a load
//! balancer see the same thing.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sqlx::PgPool;

use crate::kafka::{KafkaConfig, TopicPartition};

/// How long the broker may take to answer before it counts as unreachable.
const BROKER_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PipelineStatus {
    pub broker: BrokerStatus,
    pub relay: RelayStatus,
    pub consumers: Vec<ConsumerStatus>,
    pub audit: AuditStatus,
}

/// The audit witness's alarms: heads the log and the store disagreed on,
/// which the checkpointer left unsigned. Not counted as down: the APIs
/// still serve; an operator must look.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditStatus {
    pub witness_alarms: i64,
    /// The newest few.
    pub newest: Vec<crate::audit_checkpoints::WitnessAlarm>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BrokerStatus {
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Events committed to Postgres and not yet on the log.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RelayStatus {
    pub events_behind: i64,
    /// Age of the oldest of them (none when nothing waits).
    pub oldest_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConsumerStatus {
    /// `projection.<name>` or `worker.<group>`.
    pub name: String,
    /// Records on the log it has not handled; none while the broker is
    /// unreachable.
    pub records_behind: Option<i64>,
}

impl PipelineStatus {
    /// Everything a client can depend on answers: the broker (without it
    /// no read model moves). A backlog is reported, not counted as down.
    pub fn serving(&self) -> bool {
        self.broker.reachable
    }

    /// Reads it all now. Postgres must answer; the broker may not.
    pub async fn read(pool: &PgPool, kafka: &KafkaConfig) -> anyhow::Result<Self> {
        let relay = relay_status(pool).await?;
        let stored = stored_offsets(pool).await?;
        let (witness_alarms, newest) = crate::audit_checkpoints::alarms(pool, 5).await?;
        let audit = AuditStatus { witness_alarms, newest };
        let (broker, marks) = match watermarks(kafka).await {
            Ok(marks) => (BrokerStatus { reachable: true, error: None }, Some(marks)),
            Err(error) => (BrokerStatus { reachable: false, error: Some(format!("{error:#}")) }, None),
        };
        let consumers = stored
            .into_iter()
            .map(|(name, offsets)| ConsumerStatus {
                records_behind: marks.as_ref().map(|marks| records_behind(marks, &offsets)),
                name,
            })
            .collect();
        Ok(Self { broker, relay, consumers, audit })
    }
}

impl PipelineStatus {
    /// Sets the pipeline's gauges (`HealthMonitor` does, at each check).
    pub fn record_metrics(&self) {
        metrics::gauge!("wavestack_broker_reachable").set(if self.broker.reachable { 1.0 } else { 0.0 });
        metrics::gauge!("wavestack_relay_lag_events").set(self.relay.events_behind as f64);
        metrics::gauge!("wavestack_relay_oldest_seconds").set(self.relay.oldest_seconds.unwrap_or(0.0));
        metrics::gauge!("wavestack_audit_witness_alarms").set(self.audit.witness_alarms as f64);
        for consumer in &self.consumers {
            if let Some(behind) = consumer.records_behind {
                metrics::gauge!("wavestack_consumer_lag_records", "consumer" => consumer.name.clone())
                    .set(behind as f64);
            }
        }
    }
}

/// A consumer's lag over the topics it has stored offsets for, plus every
/// other partition of those topics read from the start.
fn records_behind(marks: &HashMap<TopicPartition, (i64, i64)>, offsets: &HashMap<TopicPartition, i64>) -> i64 {
    let topics: std::collections::HashSet<&str> = offsets.keys().map(|tp| tp.topic.as_str()).collect();
    marks
        .iter()
        .filter(|(tp, _)| topics.contains(tp.topic.as_str()))
        .map(|(tp, (low, high))| {
            let next = offsets.get(tp).copied().unwrap_or(*low).max(*low);
            (high - next).max(0)
        })
        .sum()
}

async fn relay_status(pool: &PgPool) -> anyhow::Result<RelayStatus> {
    // Behind every relay's checkpoint (normally the one, `main`).
    let checkpoint = crate::relay::checkpoint::furthest_behind(pool).await?;
    let (events_behind, oldest_seconds) =
        crate::event_store::reads::waiting_after(pool, checkpoint).await.context("reading the relay's lag")?;
    Ok(RelayStatus { events_behind, oldest_seconds })
}

/// Every consumer's next offsets, by name.
async fn stored_offsets(pool: &PgPool) -> anyhow::Result<Vec<(String, HashMap<TopicPartition, i64>)>> {
    let mut consumers: Vec<(String, HashMap<TopicPartition, i64>)> = Vec::new();
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema::text FROM information_schema.tables
          WHERE table_name = 'offsets' AND table_schema::text LIKE 'projection\\_%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .context("listing the projections")?;
    for schema in schemas {
        crate::postgres::check_identifier(&schema)?;
        let rows: Vec<(String, i32, i64)> =
            sqlx::query_as(&format!("SELECT topic, partition, next_offset FROM {schema}.offsets"))
                .fetch_all(pool)
                .await
                .with_context(|| format!("reading the offsets of {schema}"))?;
        let name = format!("projection.{}", schema.trim_start_matches("projection_"));
        consumers.push((name, rows.into_iter().map(|(t, p, o)| (TopicPartition::new(t, p), o)).collect()));
    }
    let rows: Vec<(String, String, i32, i64)> =
        sqlx::query_as("SELECT worker_group, topic, partition, next_offset FROM worker_offsets ORDER BY worker_group")
            .fetch_all(pool)
            .await
            .context("reading the workers' offsets")?;
    let mut groups: Vec<(String, HashMap<TopicPartition, i64>)> = Vec::new();
    for (group, topic, partition, next) in rows {
        let name = format!("worker.{group}");
        if groups.last().is_none_or(|(last, _)| *last != name) {
            groups.push((name, HashMap::new()));
        }
        if let Some((_, offsets)) = groups.last_mut() {
            offsets.insert(TopicPartition::new(topic, partition), next);
        }
    }
    consumers.extend(groups);
    Ok(consumers)
}

/// (low, high) of every partition of WaveStack's topics (dead letters
/// aside: nothing consumes them).
async fn watermarks(kafka: &KafkaConfig) -> anyhow::Result<HashMap<TopicPartition, (i64, i64)>> {
    let ours = |topic: &str| topic.starts_with("wavestack.") && !topic.starts_with("wavestack.dlq.");
    crate::kafka::watermarks(kafka, ours, BROKER_TIMEOUT).await
}
