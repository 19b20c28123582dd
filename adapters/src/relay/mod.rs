//! The outbox relay: tails the `events` table and produces each event to
//! its aggregate's topic, at least once, in an order no consumer can see
//! skip.
//!
//! Order: rows are read by `(transaction_id, position)` and only from
//! transactions below the current snapshot's xmin, i.e. transactions that
//! can no longer commit. Every transaction still running (or yet to start)
//! has an id at or above xmin, so no row can later appear behind the
//! checkpoint: a slow transaction with an early `position` is waited for,
//! never skipped. Within one aggregate this is also sequence order, because
//! a command writes its events only after loading the previous ones, which
//! committed (and got their transaction id) before it began.
//!
//! Delivery: a batch is produced with the idempotent producer, and the
//! checkpoint advances only once the broker acknowledged all of it (and
//! every batch before it). While the broker works on one batch the relay
//! reads and enqueues the next. A crash in between re-sends what follows
//! the checkpoint; consumers drop duplicates by
//! (aggregate id, sequence), and the records carry the same event id.

pub(crate) mod checkpoint;
mod publisher;

/// The last relayed event's place in the store's log order.
pub type Checkpoint = LogCursor;
/// An event as the relay reads it.
pub type OutboxEvent = StoredEvent;

use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use wavestack_schemas::{Codec, SchemaIds};

use crate::event_store::{reads, Horizon, LogCursor, Selection, StoredEvent, Tail};
use crate::kafka::{KafkaConfig, LogProducer};

#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Names the checkpoint and the lock: one active relay per name.
    pub name: String,
    pub batch_size: i64,
    /// How long to wait when there is nothing to relay.
    pub idle_poll: Duration,
    /// Longest wait between retries while Postgres or Kafka fail.
    pub max_backoff: Duration,
    /// The schema ids written in each record's Confluent frame.
    pub schema_ids: SchemaIds,
    /// How long the broker may take to acknowledge a batch before the relay
    /// gives up on it, replaces its producer and resends from the
    /// checkpoint. librdkafka itself never times a message out (see
    /// `LogProducer`).
    pub ack_timeout: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            name: "main".to_owned(),
            batch_size: 5000,
            idle_poll: Duration::from_millis(20),
            max_backoff: Duration::from_secs(5),
            schema_ids: SchemaIds::catalog(),
            ack_timeout: Duration::from_secs(30),
        }
    }
}

/// A relay that holds the lock for its name.
#[derive(Debug)]
pub struct Relay {
    conn: PgConnection,
    producer: LogProducer,
    codec: Codec,
    config: RelayConfig,
    checkpoint: Checkpoint,
}

impl Relay {
    /// Takes a dedicated connection from the pool and waits until this
    /// relay holds the advisory lock for its name. Standby relays wait here.
    pub async fn acquire(
        pool: &PgPool,
        kafka: &KafkaConfig,
        codec: Codec,
        config: RelayConfig,
        cancel: &CancellationToken,
    ) -> anyhow::Result<Option<Self>> {
        let producer = LogProducer::new(kafka)?;
        loop {
            let mut conn = pool.acquire().await.context("connecting the relay to Postgres")?.detach();
            loop {
                let locked: bool =
                    sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended('wavestack.relay:' || $1, 0))")
                        .bind(&config.name)
                        .fetch_one(&mut conn)
                        .await
                        .context("taking the relay lock")?;
                if locked {
                    let checkpoint = checkpoint::load(&mut conn, &config.name).await?;
                    tracing::info!(relay = %config.name, ?checkpoint, "relay lock taken");
                    return Ok(Some(Self { conn, producer, codec, config, checkpoint }));
                }
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(None),
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                if conn.ping().await.is_err() {
                    break;
                }
            }
        }
    }

    pub fn checkpoint(&self) -> Checkpoint {
        self.checkpoint
    }

    /// The next events after the checkpoint that can no longer be joined by
    /// an earlier one.
    pub async fn fetch_batch(&mut self) -> anyhow::Result<Vec<OutboxEvent>> {
        self.fetch_after(self.checkpoint).await
    }

    /// Produces the batch and waits for the broker to acknowledge all of it.
    pub async fn publish(&self, batch: &[OutboxEvent]) -> anyhow::Result<()> {
        let enqueued = publisher::enqueue_all(self.producer.producer(), &self.codec, batch).await?;
        enqueued.acknowledged(self.config.ack_timeout).await
    }

    /// Records that everything up to `last` is on the log.
    pub async fn commit(&mut self, last: &OutboxEvent) -> anyhow::Result<()> {
        self.advance(last.cursor()).await
    }

    async fn advance(&mut self, next: Checkpoint) -> anyhow::Result<()> {
        checkpoint::save(&mut self.conn, &self.config.name, next).await?;
        self.checkpoint = next;
        Ok(())
    }

    /// Whether committed events wait after the checkpoint, including those
    /// not relayable yet because an older transaction is still open
    /// anywhere in the cluster (the snapshot's xmin horizon).
    pub async fn behind(&mut self) -> anyhow::Result<bool> {
        reads::any_after(&mut self.conn, self.checkpoint).await
    }

    /// One batch end to end; returns how many events it relayed.
    pub async fn relay_once(&mut self) -> anyhow::Result<usize> {
        let batch = self.fetch_batch().await?;
        let Some(last) = batch.last() else { return Ok(0) };
        self.publish(&batch).await?;
        self.commit(last).await?;
        Ok(batch.len())
    }

    /// One step of the pipelined loop: reads and enqueues the batch after
    /// `ahead` while the broker still works on `pending`, then waits for
    /// `pending` and checkpoints it. The database read and the encoding of
    /// one batch overlap the broker's work on the one before; the
    /// checkpoint still only moves past what the broker acknowledged.
    /// Returns how many events the checkpoint moved past.
    /// With `read_more` false (stopping), only finishes what is in flight.
    async fn step(
        &mut self,
        ahead: &mut Checkpoint,
        pending: &mut Option<InFlight>,
        read_more: bool,
    ) -> anyhow::Result<usize> {
        let batch = if read_more { self.fetch_after(*ahead).await? } else { Vec::new() };
        let next = match batch.last() {
            Some(last) => {
                let enqueued = publisher::enqueue_all(self.producer.producer(), &self.codec, &batch).await?;
                *ahead = last.cursor();
                Some(InFlight { enqueued, upto: *ahead })
            }
            None => None,
        };
        let relayed = match pending.take() {
            Some(done) => {
                let count = done.enqueued.len();
                done.enqueued.acknowledged(self.config.ack_timeout).await?;
                self.advance(done.upto).await?;
                count
            }
            None => 0,
        };
        *pending = next;
        Ok(relayed)
    }

    /// Relays, pipelined as `run` does, until nothing is left to relay;
    /// returns how many events it relayed.
    pub async fn relay_until_caught_up(&mut self) -> anyhow::Result<usize> {
        let (mut ahead, mut pending, mut relayed) = (self.checkpoint, None, 0);
        loop {
            match self.step(&mut ahead, &mut pending, true).await? {
                0 if pending.is_none() => return Ok(relayed),
                n => relayed += n,
            }
        }
    }

    async fn fetch_after(&mut self, after: Checkpoint) -> anyhow::Result<Vec<OutboxEvent>> {
        // Every event, settled now: below the current snapshot's xmin.
        Tail::new(Selection::default()).read(&mut self.conn, after, Horizon::Now, self.config.batch_size).await
    }

    /// Relays until cancelled, finishing the batches in hand first. Failures
    /// (broker down, Postgres restarting) are retried with backoff from the
    /// last checkpoint; nothing is skipped.
    pub async fn run(mut self, cancel: CancellationToken) -> anyhow::Result<()> {
        let mut backoff = Duration::from_millis(100);
        let mut relayed_since_report = 0usize;
        let mut report_at = Instant::now();
        let mut ahead = self.checkpoint;
        let mut pending: Option<InFlight> = None;
        while !cancel.is_cancelled() || pending.is_some() {
            // Once cancelled, no new batch: the one in flight is finished.
            match self.step(&mut ahead, &mut pending, !cancel.is_cancelled()).await {
                Ok(0) if pending.is_none() => {
                    backoff = Duration::from_millis(100);
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = tokio::time::sleep(self.config.idle_poll) => {}
                    }
                }
                Ok(n) => {
                    backoff = Duration::from_millis(100);
                    relayed_since_report += n;
                    metrics::counter!("wavestack_relay_events_total", "relay" => self.config.name.clone())
                        .increment(n as u64);
                }
                Err(error) => {
                    // Start over from what the broker surely has, with a
                    // producer that has no history the broker could trip on.
                    pending = None;
                    ahead = self.checkpoint;
                    if let Err(error) = self.producer.renew() {
                        tracing::warn!(relay = %self.config.name, error = format!("{error:#}"), "could not renew the producer");
                    }
                    metrics::counter!("wavestack_relay_producer_renewals_total", "relay" => self.config.name.clone())
                        .increment(1);
                    metrics::counter!("wavestack_relay_batch_failures_total", "relay" => self.config.name.clone())
                        .increment(1);
                    tracing::warn!(relay = %self.config.name, error = format!("{error:#}"), retry_in = ?backoff, "relay batch failed");
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    if self.conn.ping().await.is_err() {
                        anyhow::bail!("relay lost its Postgres connection (and with it the lock)");
                    }
                }
            }
            if report_at.elapsed() >= Duration::from_secs(10) && relayed_since_report > 0 {
                let rate = relayed_since_report as f64 / report_at.elapsed().as_secs_f64();
                tracing::info!(relay = %self.config.name, events = relayed_since_report, events_per_second = rate as u64, checkpoint = ?self.checkpoint, "relayed");
                relayed_since_report = 0;
                report_at = Instant::now();
            }
        }
        tracing::info!(relay = %self.config.name, checkpoint = ?self.checkpoint, "relay stopped");
        Ok(())
    }
}

/// A batch the producer has, and the checkpoint its acknowledgement allows.
struct InFlight {
    enqueued: publisher::Enqueued,
    upto: Checkpoint,
}

/// The relay as a component of a running stack: the topics made sure of,
/// then relaying in batches of `batch_size` until `cancel` fires.
pub async fn run_until_stopped(
    pool: PgPool,
    kafka: KafkaConfig,
    batch_size: i64,
    schema_ids: SchemaIds,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let topics = crate::kafka::ensure_aggregate_topics(&kafka).await?;
    tracing::info!(brokers = %kafka.brokers, ?topics, "topics ready; relaying events");
    let config = RelayConfig { batch_size, schema_ids, ..RelayConfig::default() };
    supervise(pool, kafka, config, cancel).await
}

/// Runs a relay for as long as `cancel` is not cancelled, re-acquiring the
/// lock and reconnecting after Postgres failures.
pub async fn supervise(
    pool: PgPool,
    kafka: KafkaConfig,
    config: RelayConfig,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    while !cancel.is_cancelled() {
        let codec = Codec::with_schema_ids(&config.schema_ids).context("loading the Avro schemas")?;
        let relay = match Relay::acquire(&pool, &kafka, codec, config.clone(), &cancel).await {
            Ok(Some(relay)) => relay,
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "relay could not start; retrying");
                tokio::time::sleep(config.max_backoff).await;
                continue;
            }
        };
        if let Err(error) = relay.run(cancel.clone()).await {
            tracing::warn!(error = format!("{error:#}"), "relay stopped; restarting");
        }
    }
    Ok(())
}
