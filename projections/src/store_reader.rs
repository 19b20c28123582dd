//! Reading the event store, the truth, in log order: every event of some
//! aggregates in `(transaction id, position)` order from one snapshot, in
//! large batches, decoded into envelopes by a task of its own while the
//! caller works on the last batch. Replay and export both read so.
//!
//! `settled_only` reads only rows of transactions below the starting
//! snapshot's xmin (as the relay does): no transaction still running can later add a
//! row before them, so a cursor at the last row read is a place to carry
//! on from, with nothing skipped and nothing read twice.

use sqlx::PgConnection;
use tokio::sync::{mpsc, oneshot};
use wavestack_adapters::event_store::{Horizon, LogCursor, Selection, Tail};
use wavestack_schemas::LogEnvelope;

/// Events per batch.
pub(crate) const BATCH: usize = 50_000;
/// Decoded batches waiting for the caller.
const AHEAD: usize = 2;

/// A place in the store's log order: after the row with these.
pub(crate) type StoreCursor = LogCursor;

/// What to read.
#[derive(Debug)]
pub(crate) struct StoreRead {
    pub types: Vec<String>,
    pub after: StoreCursor,
    pub settled_only: bool,
}

/// A batch: how many rows were read so far, and the events with their
/// places.
pub(crate) type Batch = anyhow::Result<(u64, Vec<(StoreCursor, LogEnvelope)>)>;

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
    // What the snapshot taken at the start shows: rows of transactions that
    // had committed by then, or (settled only) of transactions below its xmin.
    let horizon = if read.settled_only { Horizon::SettledAt(&snapshot) } else { Horizon::VisibleIn(&snapshot) };
    let tail = Tail::new(Selection { aggregates: read.types.clone(), ..Selection::default() });
    let _ = total.send(tail.count(&mut conn, read.after, horizon).await?);
    let (mut after, mut count) = (read.after, 0u64);
    let outcome: anyhow::Result<()> = async {
        loop {
            let rows = tail.read(&mut conn, after, horizon, BATCH as i64).await?;
            let last_chunk = rows.len() < BATCH;
            let mut batch = Vec::with_capacity(rows.len());
            for row in rows {
                count += 1;
                after = row.cursor();
                batch.push((after, row.to_envelope()?));
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
