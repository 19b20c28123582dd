//! Reading the event store, the truth, in log order: every event of some
//! aggregates in `(transaction id, position)` order from one snapshot, in
//! large batches, decoded into envelopes by a task of its own while the
//! caller works on the last batch. Replay and export both read so.
//!
//! `settled_only` reads only rows of transactions below the snapshot's
//! xmin (as the relay does): no transaction still running can later add a
//! row before them, so a cursor at the last row read is a place to carry
//! on from, with nothing skipped and nothing read twice.

use anyhow::Context;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::{Connection, FromRow, PgConnection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use wavestack_adapters::relay::{decode_event, envelope};
use wavestack_domain::metadata::StoredMetadata;
use wavestack_schemas::{AggregateKind, LogEnvelope};

/// Events per batch.
pub(crate) const BATCH: usize = 10_000;
/// Decoded batches waiting for the caller.
const AHEAD: usize = 2;

/// A place in the store's log order: after the row with these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StoreCursor {
    pub transaction_id: i64,
    pub position: i64,
}

/// What to read.
pub(crate) struct StoreRead {
    pub types: Vec<String>,
    pub after: StoreCursor,
    pub settled_only: bool,
}

/// A batch: how many rows were read so far, and the events with their
/// places.
pub(crate) type Batch = anyhow::Result<(u64, Vec<(StoreCursor, LogEnvelope)>)>;

const COUNTING: &str = "
SELECT count(*) FROM events
 WHERE aggregate_type = ANY($1) AND (transaction_id, position) > ($2::text::xid8, $3)
   AND (NOT $4 OR transaction_id < pg_snapshot_xmin(pg_current_snapshot()))";

/// The payload and metadata as text: parsed once, straight into the event
/// types, rather than into a JSON tree first.
/// `ORDER BY` names the table's columns: the output column of the same
/// name is the text-cast bigint, and ordering by it cannot use the
/// `(transaction_id, position)` index (Postgres would sort every row left).
const READING: &str = "
SELECT transaction_id::text::bigint AS transaction_id, position, aggregate_type, aggregate_id, sequence, event_id,
       payload::text AS payload, metadata::text AS metadata, hash
  FROM events
 WHERE aggregate_type = ANY($1) AND (transaction_id, position) > ($2::text::xid8, $3)
   AND (NOT $4 OR transaction_id < pg_snapshot_xmin(pg_current_snapshot()))
 ORDER BY events.transaction_id, events.position";

#[derive(FromRow)]
struct Row {
    transaction_id: i64,
    position: i64,
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
        let stored: StoredMetadata<'_> = serde_json::from_str(&self.metadata).with_context(context)?;
        let metadata = stored.checked().with_context(context)?;
        envelope(self.event_id, &self.aggregate_id, self.sequence, &self.hash, metadata, event).with_context(context)
    }
}

/// Starts reading on `conn`: the total number of rows to read arrives
/// first, then the batches; the channel closes after the last (or an
/// error).
pub(crate) fn spawn_reader(
    conn: PgConnection,
    read: StoreRead,
) -> (oneshot::Receiver<u64>, mpsc::Receiver<Batch>, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let (total_sender, total) = oneshot::channel();
    let (batches, decoded) = mpsc::channel::<Batch>(AHEAD);
    let task = tokio::spawn(stream(conn, read, total_sender, batches));
    (total, decoded, task)
}

async fn stream(
    mut conn: PgConnection,
    read: StoreRead,
    total: oneshot::Sender<u64>,
    batches: mpsc::Sender<Batch>,
) -> anyhow::Result<()> {
    let mut snapshot = conn.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *snapshot).await?;
    let after_transaction = read.after.transaction_id.to_string();
    let count: i64 = sqlx::query_scalar(COUNTING)
        .bind(&read.types)
        .bind(&after_transaction)
        .bind(read.after.position)
        .bind(read.settled_only)
        .fetch_one(&mut *snapshot)
        .await?;
    let _ = total.send(count.max(0) as u64);
    let mut rows = sqlx::query_as::<_, Row>(READING)
        .bind(&read.types)
        .bind(&after_transaction)
        .bind(read.after.position)
        .bind(read.settled_only)
        .fetch(&mut *snapshot);
    let mut count = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    let outcome: anyhow::Result<()> = async {
        while let Some(row) = rows.try_next().await.context("reading the events table")? {
            count += 1;
            let cursor = StoreCursor { transaction_id: row.transaction_id, position: row.position };
            batch.push((cursor, row.decode()?));
            if batch.len() >= BATCH && batches.send(Ok((count, std::mem::take(&mut batch)))).await.is_err() {
                return Ok(());
            }
        }
        let _ = batches.send(Ok((count, batch))).await;
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
