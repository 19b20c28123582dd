//! Reading the event store, the truth, in log order: every event of some
//! aggregates in `(transaction id, position)` order from one snapshot, in
//! large batches, decoded into envelopes by a task of its own while the
//! caller works on the last batch. Replay and export both read so.
//!
//! `settled_only` reads only rows of transactions below the starting
//! snapshot's xmin (as the relay does): no transaction still running can later add a
//! row before them, so a cursor at the last row read is a place to carry
//! on from, with nothing skipped and nothing read twice.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgConnection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;
use wavestack_adapters::relay::StoredRow;
use wavestack_schemas::LogEnvelope;

/// Events per batch.
pub(crate) const BATCH: usize = 50_000;
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

/// What the snapshot taken at the start shows: rows of transactions that
/// had committed by then, or (settled only) of transactions below its xmin.
const IN_SNAPSHOT: &str = "(CASE WHEN $4 THEN transaction_id < pg_snapshot_xmin($5::text::pg_snapshot)
       ELSE pg_visible_in_snapshot(transaction_id, $5::text::pg_snapshot) END)";

fn counting() -> String {
    format!(
        "SELECT count(*) FROM events
          WHERE aggregate_type = ANY($1) AND (transaction_id, position) > ($2::text::xid8, $3) AND {IN_SNAPSHOT}"
    )
}

/// One chunk after a place. The payload and metadata as text: parsed once,
/// straight into the event types, rather than into a JSON tree first.
/// `ORDER BY` names the table's columns: the output column of the same
/// name is the text-cast bigint, and ordering by it cannot use the
/// `(transaction_id, position)` index (Postgres would sort every row left).
fn reading() -> String {
    format!(
        "SELECT transaction_id::text::bigint AS transaction_id, position, aggregate_type, aggregate_id, sequence,
                event_id, payload::text AS payload, metadata::text AS metadata, hash
           FROM events
          WHERE aggregate_type = ANY($1) AND (transaction_id, position) > ($2::text::xid8, $3) AND {IN_SNAPSHOT}
          ORDER BY events.transaction_id, events.position
          LIMIT $6"
    )
}

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
        let row = StoredRow {
            event_id: self.event_id,
            aggregate_type: &self.aggregate_type,
            aggregate_id: &self.aggregate_id,
            sequence: self.sequence,
            hash: &self.hash,
        };
        row.decode(
            &mut serde_json::Deserializer::from_str(&self.payload),
            &mut serde_json::Deserializer::from_str(&self.metadata),
        )
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

/// Chunk after chunk, each its own short statement filtered by the
/// snapshot taken at the start: the result is what one long
/// `REPEATABLE READ` read would give, without holding back the cleanup of
/// the rows the caller keeps upserting meanwhile (a long snapshot left
/// every old version of them in place, and each upsert slower than the
/// last).
async fn stream(
    mut conn: PgConnection,
    read: StoreRead,
    total: oneshot::Sender<u64>,
    batches: mpsc::Sender<Batch>,
) -> anyhow::Result<()> {
    let snapshot: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text").fetch_one(&mut conn).await?;
    let count: i64 = sqlx::query_scalar(&counting())
        .bind(&read.types)
        .bind(read.after.transaction_id.to_string())
        .bind(read.after.position)
        .bind(read.settled_only)
        .bind(&snapshot)
        .fetch_one(&mut conn)
        .await?;
    let _ = total.send(count.max(0) as u64);
    let statement = reading();
    let (mut after, mut count) = (read.after, 0u64);
    let outcome: anyhow::Result<()> = async {
        loop {
            let rows: Vec<Row> = sqlx::query_as(&statement)
                .bind(&read.types)
                .bind(after.transaction_id.to_string())
                .bind(after.position)
                .bind(read.settled_only)
                .bind(&snapshot)
                .bind(BATCH as i64)
                .fetch_all(&mut conn)
                .await
                .context("reading the events table")?;
            let last_chunk = rows.len() < BATCH;
            let mut batch = Vec::with_capacity(rows.len());
            for row in rows {
                count += 1;
                after = StoreCursor { transaction_id: row.transaction_id, position: row.position };
                batch.push((after, row.decode()?));
            }
            if batches.send(Ok((count, batch))).await.is_err() || last_chunk {
                return Ok(());
            }
        }
    }
    .await;
    if let Err(error) = outcome {
        let _ = batches.send(Err(error)).await;
    }
    Ok(())
}
