//! Replaying from the event store, the truth: every event of the
//! projection's aggregates read in `(transaction id, position)` order, in
//! large batches, from one snapshot, and applied straight to the read
//! model with no broker in between.
//!
//! Handing over to the live runner: the topics' high watermarks are read
//! before the snapshot is taken. Every record below them was committed
//! before it (the relay produces only committed events), so the snapshot
//! holds it; they are stored as the rebuilt model's offsets, and a runner
//! started on the model reads on from there, skipping by (aggregate,
//! sequence) what the snapshot already had.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use futures::TryStreamExt;
use sqlx::{Connection, FromRow, PgPool};
use tokio::sync::mpsc;
use uuid::Uuid;
use wavestack_adapters::relay::{decode_event, envelope};
use wavestack_domain::value::Timestamp;
use wavestack_schemas::{AggregateKind, LogEnvelope};

use crate::runtime::{Projection, ProjectionStore};

/// Events applied per transaction.
const BATCH: usize = 10_000;
/// Decoded batches waiting to be applied: reading and decoding the next
/// while the last is applied.
const AHEAD: usize = 2;

const COUNTING: &str = "SELECT count(*) FROM events WHERE aggregate_type = ANY($1)";

/// The payload and metadata as text: parsed once, straight into the
/// event types, rather than into a JSON tree first.
const READING: &str = "
SELECT aggregate_type, aggregate_id, sequence, event_id, payload::text AS payload, metadata::text AS metadata, hash
  FROM events
 WHERE aggregate_type = ANY($1)
 ORDER BY transaction_id, position";

#[derive(FromRow)]
struct Row {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_id: Uuid,
    payload: String,
    metadata: String,
    hash: Vec<u8>,
}

impl Row {
    fn decode(&self) -> anyhow::Result<LogEnvelope> {
        let context = || format!("decoding event {} ({} {})", self.event_id, self.aggregate_type, self.aggregate_id);
        let kind = AggregateKind::from_aggregate_type(&self.aggregate_type)
            .with_context(|| format!("event {} has an aggregate type with no topic", self.event_id))?;
        let event = decode_event(kind, &mut serde_json::Deserializer::from_str(&self.payload)).with_context(context)?;
        let metadata: HashMap<String, String> = serde_json::from_str(&self.metadata).with_context(context)?;
        envelope(self.event_id, &self.aggregate_id, self.sequence, &self.hash, &metadata, event).with_context(context)
    }
}

/// What a replay from the store read and applied.
pub(crate) struct Applied {
    pub read: u64,
    pub applied: u64,
}

/// Applies every event of `projection`'s aggregates (those that occurred
/// by `until`, if given) to `store`, then stores `handover` as its offsets.
pub(crate) async fn apply_from_store<P: Projection>(
    pool: &PgPool,
    store: &mut ProjectionStore,
    projection: &P,
    until: Option<Timestamp>,
    handover: &HashMap<(String, i32), i64>,
    started: std::time::Instant,
    mut progress: impl FnMut(u64, u64, Duration),
) -> anyhow::Result<Applied> {
    let types: Vec<String> = projection.topics().iter().map(|kind| kind.aggregate_type().to_owned()).collect();
    let conn = pool.acquire().await.context("connecting the replay to Postgres")?.detach();
    let (total_sender, total) = tokio::sync::oneshot::channel();
    let (batches, mut decoded) = mpsc::channel::<anyhow::Result<(u64, Vec<LogEnvelope>)>>(AHEAD);
    let reader = tokio::spawn(read(conn, types, until, total_sender, batches));
    let total: u64 = total.await.unwrap_or(0);
    let (mut read_so_far, mut applied) = (0u64, 0u64);
    let none = HashMap::new();
    while let Some(batch) = decoded.recv().await {
        let (read, batch) = batch?;
        read_so_far = read;
        if !batch.is_empty() {
            store.apply(projection, &batch, &none).await?;
            applied += batch.len() as u64;
        }
        progress(read_so_far, total.max(read_so_far), started.elapsed());
    }
    reader.await.context("the store reader stopped")??;
    store.apply(projection, &[], handover).await?;
    progress(read_so_far, total.max(read_so_far), started.elapsed());
    Ok(Applied { read: read_so_far, applied })
}

/// Streams the snapshot's events in log order, decoded, a batch at a time.
async fn read(
    mut conn: sqlx::PgConnection,
    types: Vec<String>,
    until: Option<Timestamp>,
    total: tokio::sync::oneshot::Sender<u64>,
    batches: mpsc::Sender<anyhow::Result<(u64, Vec<LogEnvelope>)>>,
) -> anyhow::Result<()> {
    let mut snapshot = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *snapshot).await?;
    let count: i64 = sqlx::query_scalar(COUNTING).bind(&types).fetch_one(&mut *snapshot).await?;
    let _ = total.send(count.max(0) as u64);
    let mut rows = sqlx::query_as::<_, Row>(READING).bind(&types).fetch(&mut *snapshot);
    let mut read = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    let outcome: anyhow::Result<()> = async {
        while let Some(row) = rows.try_next().await.context("reading the events table")? {
            read += 1;
            let envelope = row.decode()?;
            if until.is_none_or(|until| envelope.metadata.occurred_at <= until) {
                batch.push(envelope);
            }
            if batch.len() >= BATCH && batches.send(Ok((read, std::mem::take(&mut batch)))).await.is_err() {
                return Ok(());
            }
        }
        let _ = batches.send(Ok((read, batch))).await;
        Ok(())
    }
    .await;
    if let Err(error) = outcome {
        let _ = batches.send(Err(error)).await;
    }
    drop(rows);
    snapshot.commit().await?;
    Ok(())
}
