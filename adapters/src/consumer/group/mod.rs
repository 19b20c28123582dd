//! A worker group reading the log: each member owns some partitions of the
//! group's topics and handles their records one at a time, in offset order,
//! storing the next offset after each one.
//!
//! Ownership is a Postgres session advisory lock per (group, topic,
//! partition), held on the connection the partition's task uses: if the
//! worker dies, its connection closes, the lock is released and another
//! member takes the partition over from the stored offset. Members
//! heartbeat in `worker_members`; each takes at most its fair share
//! (partitions ÷ live members, rounded up) and gives back what exceeds it,
//! so that starting more workers spreads the work.
//!
//! A record is handled at least once: a member that dies mid-record leaves
//! its offset unstored, and the next owner handles it again. Handlers make
//! that safe through the aggregates (a clip already rendered refuses to be
//! rendered again).
//!
//! A record that cannot be handled (undecodable, a permanent failure, or a
//! transient one past its retries) goes to `wavestack.dlq.<group>` and the
//! partition moves on (`consumer::handle_record`).

mod partition;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

pub use super::HandlerError;
use crate::consumer::{DeadLetters, RetryPolicy};
use crate::kafka::KafkaConfig;
use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;
use wavestack_schemas::{AggregateKind, Codec, LogEnvelope};

/// What a group does with each record of its partitions.
pub trait Handler: Clone + Send + Sync + 'static {
    /// Ok: done, the offset moves on. Transient: retried after a pause, a
    /// bounded number of times. Permanent (or out of retries): the record
    /// goes to the group's dead-letter topic and the offset moves on.
    /// Dropped (the worker stops or loses the partition): handled again by
    /// the next owner.
    fn handle(&self, envelope: LogEnvelope) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// Names the locks, offsets and consumer group: `wavestack.<group>`.
    pub group: String,
    pub topics: Vec<AggregateKind>,
    /// Unique per running worker.
    pub member: String,
    /// How often membership and ownership are renewed.
    pub heartbeat: Duration,
    /// A member not seen for this long no longer counts.
    pub member_ttl: Duration,
    /// How a transient failure of one record is retried before it is
    /// dead-lettered.
    pub retry: RetryPolicy,
}

impl GroupConfig {
    pub fn new(group: &str, topics: Vec<AggregateKind>) -> Self {
        Self {
            group: group.to_owned(),
            topics,
            member: format!("{group}-{}", uuid::Uuid::new_v4().simple()),
            heartbeat: Duration::from_secs(2),
            member_ttl: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

type PartitionKey = (String, i32);

struct Owned {
    cancel: CancellationToken,
    /// Aborted if dropped: a member that is itself aborted takes its
    /// partitions (and their ffmpeg runs) down with it, as a crash would.
    task: AbortOnDropHandle<anyhow::Result<()>>,
}

/// Runs the member until cancelled: heartbeats, takes and gives back
/// partitions, and handles the records of those it owns.
pub async fn run<H: Handler>(
    pool: PgPool,
    kafka: KafkaConfig,
    codec: Codec,
    config: GroupConfig,
    handler: H,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let partitions = partitions_of(&kafka, &config.topics).await?;
    let dead_letters = DeadLetters::open(&kafka, &config.group).await?;
    // Members start looking at different partitions, so that two starting
    // together do not contend for the same ones.
    let offset = fastrand::usize(..partitions.len().max(1));
    let codec = std::sync::Arc::new(codec);
    let mut owned: HashMap<PartitionKey, Owned> = HashMap::new();
    let outcome = loop {
        let reading = Reading { kafka: &kafka, codec: &codec, dead_letters: &dead_letters };
        if let Err(error) = rebalance(&pool, reading, &config, &handler, &partitions, offset, &mut owned).await {
            tracing::warn!(group = %config.group, error = format!("{error:#}"), "worker membership failed; retrying");
        }
        metrics::gauge!("wavestack_worker_partitions_owned", "group" => config.group.clone()).set(owned.len() as f64);
        tokio::select! {
            _ = cancel.cancelled() => break Ok(()),
            _ = tokio::time::sleep(config.heartbeat) => {}
        }
    };
    for (_, partition) in owned.drain() {
        partition.cancel.cancel();
        let _ = partition.task.await;
    }
    let _ = sqlx::query("DELETE FROM worker_members WHERE worker_group = $1 AND member = $2")
        .bind(&config.group)
        .bind(&config.member)
        .execute(&pool)
        .await;
    outcome
}

/// What a partition's reader is made of.
#[derive(Clone, Copy)]
struct Reading<'a> {
    kafka: &'a KafkaConfig,
    codec: &'a std::sync::Arc<Codec>,
    dead_letters: &'a DeadLetters,
}

async fn rebalance<H: Handler>(
    pool: &PgPool,
    reading: Reading<'_>,
    config: &GroupConfig,
    handler: &H,
    partitions: &[PartitionKey],
    offset: usize,
    owned: &mut HashMap<PartitionKey, Owned>,
) -> anyhow::Result<()> {
    // Partitions whose task ended (an error, a lost connection) are free again.
    let ended: Vec<PartitionKey> = owned.iter().filter(|(_, o)| o.task.is_finished()).map(|(k, _)| k.clone()).collect();
    for key in ended {
        if let Some(partition) = owned.remove(&key) {
            match partition.task.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(group = %config.group, topic = %key.0, partition = key.1,
                    error = format!("{error:#}"), "partition stopped; it will be taken again"),
                Err(error) => tracing::error!(group = %config.group, error = %error, "partition task panicked"),
            }
        }
    }
    let live: i64 = sqlx::query_scalar(
        "WITH me AS (
            INSERT INTO worker_members (worker_group, member, seen_at) VALUES ($1, $2, now())
            ON CONFLICT (worker_group, member) DO UPDATE SET seen_at = now())
         SELECT count(*) + 1 FROM worker_members
          WHERE worker_group = $1 AND member <> $2 AND seen_at > now() - make_interval(secs => $3)",
    )
    .bind(&config.group)
    .bind(&config.member)
    .bind(config.member_ttl.as_secs_f64())
    .fetch_one(pool)
    .await
    .context("heartbeating")?;
    let share = partitions.len().div_ceil(live.max(1) as usize);

    if owned.len() > share {
        // Give back one at a time: its record finishes first.
        if let Some(key) = owned.keys().next().cloned() {
            tracing::info!(group = %config.group, topic = %key.0, partition = key.1, share, "giving a partition back");
            if let Some(partition) = owned.remove(&key) {
                partition.cancel.cancel();
                let _ = partition.task.await;
            }
        }
        return Ok(());
    }
    for index in 0..partitions.len() {
        if owned.len() >= share {
            break;
        }
        let key = &partitions[(index + offset) % partitions.len()];
        if owned.contains_key(key) {
            continue;
        }
        let Some(lock) = partition::PartitionLock::try_take(pool, &config.group, &key.0, key.1).await? else {
            continue;
        };
        tracing::info!(group = %config.group, member = %config.member, topic = %key.0, partition = key.1, "took a partition");
        let cancel = CancellationToken::new();
        let reader = partition::PartitionReader::new(
            lock,
            reading.kafka,
            reading.codec.clone(),
            reading.dead_letters.clone(),
            config.retry,
        )?;
        let task = AbortOnDropHandle::new(tokio::spawn(reader.run(handler.clone(), cancel.clone())));
        owned.insert(key.clone(), Owned { cancel, task });
    }
    Ok(())
}

/// Every (topic, partition) of the topics, created if they are missing.
async fn partitions_of(kafka: &KafkaConfig, topics: &[AggregateKind]) -> anyhow::Result<Vec<PartitionKey>> {
    let topics: Vec<String> = topics.iter().map(|k| k.topic()).collect();
    crate::kafka::ensure_topics(kafka, &topics).await?;
    let partitions = crate::kafka::partitions_of(kafka, &topics).await?;
    Ok(partitions.into_iter().map(|tp| (tp.topic, tp.partition)).collect())
}
