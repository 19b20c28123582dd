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
use sqlx::PgPool;
use wavestack_domain::value::Timestamp;

use crate::runtime::{Projection, ProjectionStore};
use crate::store_reader::{spawn_reader, StoreCursor, StoreRead};

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
    // Everything the snapshot holds: the handover offsets were read before it.
    let read = StoreRead { types, after: StoreCursor::default(), settled_only: false };
    let (total, mut decoded, reader) = spawn_reader(conn, read);
    let total: u64 = total.await.unwrap_or(0);
    let (mut read_so_far, mut applied) = (0u64, 0u64);
    let none = HashMap::new();
    while let Some(batch) = decoded.recv().await {
        let (read, batch) = batch?;
        read_so_far = read;
        let batch: Vec<_> = batch
            .into_iter()
            .map(|(_, envelope)| envelope)
            .filter(|envelope| until.is_none_or(|until| envelope.metadata.occurred_at <= until))
            .collect();
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
