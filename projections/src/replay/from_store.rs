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
use sqlx::{Connection, PgPool};
use wavestack_adapters::relay::OutboxEvent;
use wavestack_domain::value::Timestamp;

use crate::runtime::{Projection, ProjectionStore};

/// Events applied per transaction.
const BATCH: usize = 10_000;

const COUNTING: &str = "SELECT count(*) FROM events WHERE aggregate_type = ANY($1)";

const READING: &str = "
SELECT position, transaction_id::text::bigint AS transaction_id, aggregate_type, aggregate_id, sequence,
       event_type, event_id, payload, metadata, hash
  FROM events
 WHERE aggregate_type = ANY($1)
 ORDER BY transaction_id, position";

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
    let types: Vec<&str> = projection.topics().iter().map(|kind| kind.aggregate_type()).collect();
    let mut conn = pool.acquire().await.context("connecting the replay to Postgres")?;
    let mut snapshot = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *snapshot).await?;
    let total: i64 = sqlx::query_scalar(COUNTING).bind(&types).fetch_one(&mut *snapshot).await?;
    let total = total.max(0) as u64;
    let mut rows = sqlx::query_as::<_, OutboxEvent>(READING).bind(&types).fetch(&mut *snapshot);
    let (mut read, mut applied) = (0u64, 0u64);
    let mut batch = Vec::with_capacity(BATCH);
    let none = HashMap::new();
    loop {
        let row = rows.try_next().await.context("reading the events table")?;
        let done = row.is_none();
        if let Some(row) = row {
            read += 1;
            let envelope = row.to_envelope()?;
            if until.is_none_or(|until| envelope.metadata.occurred_at <= until) {
                batch.push(envelope);
            }
        }
        if batch.len() >= BATCH || (done && !batch.is_empty()) {
            store.apply(projection, &batch, &none).await?;
            applied += batch.len() as u64;
            batch.clear();
            progress(read, total.max(read), started.elapsed());
        }
        if done {
            break;
        }
    }
    drop(rows);
    snapshot.commit().await?;
    store.apply(projection, &[], handover).await?;
    progress(read, total.max(read), started.elapsed());
    Ok(Applied { read, applied })
}
