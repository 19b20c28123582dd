//! One owned partition: the lock on its own connection, the stored offset,
//! and the reader handling its records in order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::consumer::{handle_record, BatchReader, DeadLetters, Handled, RetryPolicy};
use crate::kafka::{KafkaConfig, ResumeGuard};
use anyhow::Context;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use wavestack_schemas::Codec;

use super::Handler;

/// The partition's advisory lock, held by this connection until it closes.
pub(super) struct PartitionLock {
    conn: PgConnection,
    group: String,
    topic: String,
    partition: i32,
}

impl PartitionLock {
    pub(super) async fn try_take(
        pool: &PgPool,
        group: &str,
        topic: &str,
        partition: i32,
    ) -> anyhow::Result<Option<Self>> {
        let mut conn = pool.acquire().await.context("connecting for a partition lock")?.detach();
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
            .bind(format!("wavestack.worker:{group}:{topic}:{partition}"))
            .fetch_one(&mut conn)
            .await
            .context("taking a partition lock")?;
        Ok(taken.then(|| Self { conn, group: group.to_owned(), topic: topic.to_owned(), partition }))
    }

    async fn next_offset(&mut self) -> anyhow::Result<Option<i64>> {
        sqlx::query_scalar(
            "SELECT next_offset FROM worker_offsets WHERE worker_group = $1 AND topic = $2 AND partition = $3",
        )
        .bind(&self.group)
        .bind(&self.topic)
        .bind(self.partition)
        .fetch_optional(&mut self.conn)
        .await
        .context("reading the stored offset")
    }

    async fn store(&mut self, next_offset: i64) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO worker_offsets (worker_group, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
             ON CONFLICT (worker_group, topic, partition)
             DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()",
        )
        .bind(&self.group)
        .bind(&self.topic)
        .bind(self.partition)
        .bind(next_offset)
        .execute(&mut self.conn)
        .await
        .context("storing the offset")?;
        Ok(())
    }
}

pub(super) struct PartitionReader {
    lock: PartitionLock,
    consumer: StreamConsumer,
    codec: Arc<Codec>,
    dead_letters: DeadLetters,
    retry: RetryPolicy,
}

impl PartitionReader {
    pub(super) fn new(
        lock: PartitionLock,
        kafka: &KafkaConfig,
        codec: Arc<Codec>,
        dead_letters: DeadLetters,
        retry: RetryPolicy,
    ) -> anyhow::Result<Self> {
        let group = lock.group.clone();
        let consumer: StreamConsumer = kafka
            .consumer_config(&format!("wavestack.{group}"))
            // A worker handles a record at a time; a partition's worth of
            // prefetch is plenty (a group owns every partition, so a member
            // may hold several of these).
            .set("queued.max.messages.kbytes", "2048")
            // Workers are not latency-critical to the millisecond, and every
            // empty fetch costs the local broker (SQLite) CPU that the
            // read models' consumers need: wait longer than they do.
            .set("fetch.wait.max.ms", "500")
            .create()
            .context("creating a partition consumer")?;
        Ok(Self { lock, consumer, codec, dead_letters, retry })
    }

    /// Handles records until cancelled. A record being handled when the
    /// cancel comes is dropped unstored: the next owner handles it.
    ///
    /// The offset is stored at most every `STORE_EVERY` (and when the
    /// partition is given back), not after every record: most records of a
    /// topic need nothing of a worker (every chat message passes the chat
    /// clipper), and a Postgres write per record was most of what a worker
    /// cost under load. A crash re-handles what followed the last store,
    /// which handlers already make safe.
    pub(super) async fn run<H: Handler>(mut self, handler: H, cancel: CancellationToken) -> anyhow::Result<()> {
        let (topic, partition) = (self.lock.topic.clone(), self.lock.partition);
        let stored = self.lock.next_offset().await?;
        let mut assignment = TopicPartitionList::new();
        assignment.add_partition_offset(&topic, partition, stored.map_or(Offset::Beginning, Offset::Offset))?;
        self.consumer.assign(&assignment).context("assigning the partition")?;
        let mut resume = ResumeGuard::default();
        if let Some(offset) = stored {
            resume.expect(&topic, partition, offset);
        }
        let mut reader = BatchReader::new(self.consumer, resume);
        let group = self.lock.group.clone();
        // The offset after the last record handled, once not yet stored.
        let mut unstored: Option<i64> = None;
        let mut stored_at = Instant::now();
        'partition: while !cancel.is_cancelled() {
            if let Some(next) = unstored.filter(|_| stored_at.elapsed() >= STORE_EVERY) {
                self.lock.store(next).await?;
                (unstored, stored_at) = (None, Instant::now());
            }
            for record in reader.poll(BATCH, BATCH_WAIT).await {
                let handled = match self.codec.decode(&record.payload) {
                    Ok(envelope) => {
                        let handler = &handler;
                        handle_record(&record, &self.dead_letters, self.retry, &cancel, || {
                            handler.handle(envelope.clone())
                        })
                        .await?
                    }
                    // No retry can make these bytes decode.
                    Err(error) => {
                        self.dead_letters.send(&record, &format!("undecodable record: {error}")).await?;
                        Handled::DeadLettered
                    }
                };
                match handled {
                    Handled::Done => {}
                    Handled::DeadLettered => {
                        metrics::counter!("wavestack_worker_dead_letters_total", "group" => group.clone()).increment(1)
                    }
                    Handled::Cancelled => break 'partition,
                }
                unstored = Some(record.offset + 1);
                metrics::counter!("wavestack_worker_records_total", "group" => group.clone()).increment(1);
            }
        }
        // Given back or stopping: what was handled is stored now.
        if let Some(next) = unstored {
            self.lock.store(next).await?;
        }
        Ok(())
    }
}

/// How long a handled record's offset may wait to be stored.
const STORE_EVERY: Duration = Duration::from_millis(500);
/// Records read at a time, and how long a batch waits to fill: a worker
/// handles them one by one, so small and quick.
const BATCH: usize = 100;
const BATCH_WAIT: Duration = Duration::from_millis(20);
