//! The projection runtime.
//!
//! Exactness: the read model, the per-aggregate positions (last sequence
//! applied) and the consumed offsets are written in one transaction. After a
//! crash the runner resumes from the stored offsets, so an event is either
//! applied and its offset stored, or neither; a duplicate from the relay is
//! skipped by its (aggregate id, sequence).
//!
//! Partitions are assigned by the runner, not by group rebalancing: the
//! offsets live in Postgres, and an advisory lock per schema keeps one runner
//! per read model. The consumer group id names the projection for tools.

mod ddl;
mod schema_name;
mod sql;
mod store;

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use wavestack_adapters::kafka::{partitions_of, KafkaConfig, TopicPartition};
use wavestack_domain::value::Timestamp;
use wavestack_schemas::{AggregateKind, Codec, LogEnvelope};

pub use wavestack_adapters::consumer::{dead_letter_topic, HEADER_ERROR, HEADER_SOURCE};
use wavestack_adapters::consumer::{is_transient, BatchReader, DeadLetters, Record};

pub use schema_name::SchemaName;
pub use store::{
    applied_sequence, applied_sequences, check_schema_name, read_model_missing, ProjectionStore, SWAP_LOCK,
};
pub use wavestack_adapters::kafka::{Admit, ResumeGuard};

/// How long the broker may hold a projection's fetch (see `start`).
const PROJECTION_FETCH_WAIT_MS: &str = "250";

/// A read model. `apply` gets only events not applied before, in log order
/// per aggregate, and runs inside the runner's transaction.
pub trait Projection: Send + Sync + 'static {
    /// Names the consumer group, the dead-letter topic and the default schema.
    fn name(&self) -> &'static str;
    fn topics(&self) -> Vec<AggregateKind>;
    /// The read model's `tables.sql` (`include_str!`): `CREATE … IF NOT
    /// EXISTS` statements with `{schema}` for the schema's name.
    fn tables_sql(&self) -> &'static str;
    /// Those statements for the read model in `schema`.
    fn create_tables(&self, schema: &str) -> Vec<String> {
        ddl::statements(self.tables_sql(), schema)
    }
    fn apply(
        &self,
        conn: &mut PgConnection,
        schema: &str,
        events: &[LogEnvelope],
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Postgres schema holding the read model, offsets and positions.
    pub schema: String,
    pub max_batch: usize,
    /// How long a batch waits to fill once it has its first record.
    pub max_wait: Duration,
    /// Apply only events that occurred at or before this instant ("as of"
    /// a past moment); later ones are read past, not applied.
    pub until: Option<Timestamp>,
}

/// How often a running projection looks for a replay waiting to swap.
const SWAP_POLL: Duration = Duration::from_millis(500);

/// Runs a projection until cancelled, restarting it after failures (broker
/// or Postgres down) from its stored offsets.
pub async fn supervise<P: Projection + Clone>(
    pool: PgPool,
    kafka: KafkaConfig,
    schema_ids: wavestack_schemas::SchemaIds,
    projection: P,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let name = projection.name();
    while !cancel.is_cancelled() {
        let codec = Codec::with_schema_ids(&schema_ids).context("loading the Avro schemas")?;
        let config = RunnerConfig::for_projection(&projection);
        let outcome = match ProjectionRunner::start(&pool, &kafka, codec, projection.clone(), config, &cancel).await {
            Ok(Some(runner)) => runner.run(cancel.clone()).await,
            Ok(None) => return Ok(()),
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            tracing::warn!(projection = name, error = format!("{error:#}"), "projection stopped; restarting");
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }
    Ok(())
}

/// Each partition's high watermark (the offset after its last record) of
/// the projection's topics. Asked with a client of its own before a runner
/// starts fetching: tansu (SQLite) answers offset requests slowly while it
/// serves a large fetch.
pub async fn high_watermarks(
    kafka: &KafkaConfig,
    kinds: &[AggregateKind],
) -> anyhow::Result<HashMap<(String, i32), i64>> {
    let topics: Vec<String> = kinds.iter().map(|k| k.topic()).collect();
    let marks = wavestack_adapters::kafka::watermarks(
        kafka,
        move |t| topics.iter().any(|ours| ours == t),
        Duration::from_secs(10),
    )
    .await?;
    Ok(marks.into_iter().map(|(tp, (_, high))| ((tp.topic, tp.partition), high)).collect())
}

/// The schema the live read model of `projection` is served from.
pub fn live_schema(projection: &str) -> SchemaName {
    SchemaName::live(projection)
}

impl RunnerConfig {
    pub fn for_projection(projection: &impl Projection) -> Self {
        Self {
            schema: live_schema(projection.name()).to_string(),
            max_batch: 2000,
            max_wait: Duration::from_millis(20),
            until: None,
        }
    }
}

#[derive(Debug)]
pub struct ProjectionRunner<P: Projection> {
    projection: P,
    config: RunnerConfig,
    store: ProjectionStore,
    reader: BatchReader,
    dead_letters: DeadLetters,
    codec: Codec,
    /// Where the log is, for `catch_up` to ask how far it reaches.
    kafka: KafkaConfig,
}

impl<P: Projection> ProjectionRunner<P> {
    /// Creates the schema and tables if needed, takes the projection's lock
    /// (waiting while another runner holds it) and assigns every partition
    /// of the projection's topics at the stored offsets.
    pub async fn start(
        pool: &PgPool,
        kafka: &KafkaConfig,
        codec: Codec,
        projection: P,
        config: RunnerConfig,
        cancel: &CancellationToken,
    ) -> anyhow::Result<Option<Self>> {
        let Some(store) = ProjectionStore::lock(pool, &config.schema, cancel).await? else {
            return Ok(None);
        };
        let mut store = store;
        store.create(&projection.create_tables(&config.schema)).await?;
        // Before fetching starts: tansu (SQLite) is slow to answer admin
        // requests while it serves a large fetch.
        let dead_letters = DeadLetters::open(kafka, projection.name()).await?;
        let consumer: StreamConsumer = kafka
            .consumer_config(&format!("wavestack.projection.{}", projection.name()))
            .set("auto.offset.reset", "earliest")
            // How stale a read model may be against what CPU it may cost.
            // tansu (the local broker) answers every fetch only when its
            // wait ends, having read each partition with freshly planned
            // SQLite queries: at 50 ms, a dozen projections over every
            // topic's partitions kept it at a whole core on an idle stack.
            // 250 ms is a fifth of that, and what librdkafka's default
            // (500 ms) comes to on tansu, which answers at half the wait.
            .set("fetch.wait.max.ms", PROJECTION_FETCH_WAIT_MS)
            .create()
            .context("creating the projection consumer")?;
        let offsets = store.offsets().await?;
        let mut assignment = TopicPartitionList::new();
        let mut resume = ResumeGuard::default();
        let topics: Vec<String> = projection.topics().iter().map(|k| k.topic()).collect();
        for TopicPartition { topic, partition } in partitions_of(kafka, &topics).await? {
            let offset = match offsets.get(&(topic.clone(), partition)) {
                Some(next) => {
                    resume.expect(&topic, partition, *next);
                    Offset::Offset(*next)
                }
                None => Offset::Beginning,
            };
            assignment.add_partition_offset(&topic, partition, offset)?;
        }
        consumer.assign(&assignment).context("assigning partitions")?;
        tracing::info!(projection = projection.name(), schema = %config.schema, "projection started");
        let reader = BatchReader::new(consumer, resume);
        Ok(Some(Self { projection, config, store, reader, dead_letters, codec, kafka: kafka.clone() }))
    }

    /// Applies batches until cancelled; returns after the batch in hand.
    /// Also returns, giving its lock back, when a replay asks to swap a
    /// rebuilt model in (`supervise` then starts again on the swapped-in
    /// model once the swap is done).
    pub async fn run(mut self, cancel: CancellationToken) -> anyhow::Result<()> {
        let name = self.projection.name();
        let mut looked_for_swap = Instant::now();
        while !cancel.is_cancelled() {
            let records = self.poll_batch().await;
            if !records.is_empty() {
                let applied = self.apply_batch(records).await?;
                metrics::counter!("wavestack_projection_events_applied_total", "projection" => name)
                    .increment(applied as u64);
            }
            if looked_for_swap.elapsed() >= SWAP_POLL {
                looked_for_swap = Instant::now();
                if self.store.swap_requested().await? {
                    tracing::info!(projection = name, "stepping aside for a replay's swap");
                    self.store.release().await;
                    return Ok(());
                }
            }
        }
        tracing::info!(projection = name, "projection stopped");
        Ok(())
    }

    /// Applies whatever is on the log now, then returns how many events
    /// were applied; for replay and tests.
    ///
    /// Reads until every partition reaches the end the broker reports now
    /// (or `REACH_AT_MOST` passes), then until the log stays quiet for
    /// `idle`: waiting for quiet alone took a slow first fetch (connecting,
    /// then the broker holding the fetch its 250 ms) for an empty log.
    pub async fn catch_up(&mut self, idle: Duration) -> anyhow::Result<usize> {
        const REACH_AT_MOST: Duration = Duration::from_secs(30);
        let ends = high_watermarks(&self.kafka, &self.projection.topics()).await?;
        // Read up to: where the runner resumed, and then what it reads.
        let mut read = self.store.offsets().await?;
        let started = Instant::now();
        let mut total = 0;
        let mut idle_since = Instant::now();
        loop {
            let reached = ends.iter().all(|(at, end)| read.get(at).copied().unwrap_or(0) >= *end);
            if (reached || started.elapsed() >= REACH_AT_MOST) && idle_since.elapsed() >= idle {
                return Ok(total);
            }
            let records = self.poll_batch().await;
            if records.is_empty() {
                continue;
            }
            for record in &records {
                let next = read.entry((record.topic.clone(), record.partition)).or_insert(0);
                *next = (*next).max(record.offset + 1);
            }
            idle_since = Instant::now();
            total += self.apply_batch(records).await?;
        }
    }

    /// Applies everything up to `targets` (from `high_watermarks`, taken
    /// before the runner started fetching), reporting progress; for replay.
    /// Then keeps going until the log is quiet (at most 3 s), because
    /// tansu 0.6 may report a watermark short of the last batch.
    pub async fn apply_to_end(
        &mut self,
        targets: HashMap<(String, i32), i64>,
        mut progress: impl FnMut(u64, u64),
    ) -> anyhow::Result<u64> {
        let targets: HashMap<(String, i32), i64> = targets.into_iter().filter(|(_, high)| *high > 0).collect();
        let total_records: i64 = targets.values().sum();
        let mut read: HashMap<(String, i32), i64> = HashMap::new();
        let mut applied = 0u64;
        let mut quiet_deadline: Option<Instant> = None;
        loop {
            let reached = targets.iter().all(|(key, high)| read.get(key).copied().unwrap_or(0) >= *high);
            if reached {
                let deadline = *quiet_deadline.get_or_insert_with(|| Instant::now() + Duration::from_secs(3));
                if Instant::now() >= deadline {
                    break;
                }
            }
            let records = self.poll_batch().await;
            if records.is_empty() && reached {
                break;
            }
            for record in &records {
                let next = read.entry((record.topic.clone(), record.partition)).or_insert(0);
                *next = (*next).max(record.offset + 1);
            }
            if !records.is_empty() {
                applied += self.apply_batch(records).await? as u64;
            }
            let done: i64 = read.values().sum();
            progress(done as u64, total_records.max(done) as u64);
        }
        Ok(applied)
    }

    async fn poll_batch(&mut self) -> Vec<Record> {
        self.reader.poll(self.config.max_batch, self.config.max_wait).await
    }

    /// One batch: dead letters first (at least once), then read model,
    /// positions and offsets in one transaction. Returns events applied.
    async fn apply_batch(&mut self, records: Vec<Record>) -> anyhow::Result<usize> {
        let mut next_offsets: HashMap<(String, i32), i64> = HashMap::new();
        let mut decoded = Vec::with_capacity(records.len());
        let mut undecodable = Vec::new();
        for record in &records {
            let next = next_offsets.entry((record.topic.clone(), record.partition)).or_insert(0);
            *next = (*next).max(record.offset + 1);
            match self.codec.decode(&record.payload) {
                Ok(envelope) if self.config.until.is_some_and(|until| envelope.metadata.occurred_at > until) => {}
                Ok(envelope) => decoded.push(envelope),
                Err(error) => undecodable.push((record, format!("undecodable record: {error}"))),
            }
        }
        for (record, error) in &undecodable {
            self.dead_letter(record, error).await?;
        }
        let fresh: Vec<LogEnvelope> =
            self.store.fresh(&decoded).await?.into_iter().map(|i| decoded[i].clone()).collect();
        let applied = match self.store.apply(&self.projection, &fresh, &next_offsets).await {
            Ok(()) => fresh.len(),
            // Postgres went away: nothing was written, and the runner starts
            // again from the stored offsets once it is back.
            Err(error) if is_transient(&error) => return Err(error.context("applying a batch")),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "batch failed to apply; isolating the bad events");
                self.isolate(&fresh, &next_offsets).await?
            }
        };
        Ok(applied)
    }

    /// Applies a failed batch one event at a time; events that still fail
    /// go to the dead-letter topic (re-encoded: the same bytes the relay
    /// wrote). Then the batch's offsets are stored.
    async fn isolate(
        &mut self,
        fresh: &[LogEnvelope],
        next_offsets: &HashMap<(String, i32), i64>,
    ) -> anyhow::Result<usize> {
        let mut applied = 0;
        for event in fresh {
            match self.store.apply(&self.projection, std::slice::from_ref(event), &HashMap::new()).await {
                Ok(()) => applied += 1,
                Err(error) if is_transient(&error) => return Err(error.context("applying an event")),
                Err(error) => {
                    let record = Record {
                        topic: event.event.kind().topic(),
                        partition: -1,
                        offset: -1,
                        key: Some(event.aggregate_id.clone().into_bytes()),
                        payload: self.codec.encode(event).unwrap_or_default(),
                    };
                    let why =
                        format!("event {} #{} could not be applied: {error:#}", event.aggregate_id, event.sequence);
                    self.dead_letter(&record, &why).await?;
                }
            }
        }
        self.store.apply(&self.projection, &[], next_offsets).await?;
        Ok(applied)
    }

    async fn dead_letter(&self, record: &Record, error: &str) -> anyhow::Result<()> {
        self.dead_letters.send(record, error).await?;
        metrics::counter!("wavestack_projection_dead_letters_total", "projection" => self.projection.name())
            .increment(1);
        Ok(())
    }
}
