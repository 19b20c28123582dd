//! Writes the events of many streams in one statement, and the snapshots due
//! with them in the same transaction: a batch of chat costs one commit (one
//! WAL flush) instead of one per message.
//!
//! The rows are the ones postgres-es writes, so postgres-es reads them back;
//! the table's defaults and trigger add position, transaction id, event id
//! and hash chain as they do for any insert. Rows go in stream and sequence
//! order, which the hash chain's trigger needs (it reads the previous row).

use sqlx::PgPool;

/// One event, serialized as postgres-es stores it.
pub(crate) struct EventRow {
    pub(crate) event_type: String,
    pub(crate) event_version: String,
    pub(crate) payload: String,
    /// What the event settles once and for all in its stream
    /// (`Decider::once_key`): the store holds each at most once per stream.
    pub(crate) once_key: Option<String>,
}

/// A snapshot taken at the stream's new sequence.
pub(crate) struct SnapshotRow {
    pub(crate) last_sequence: usize,
    pub(crate) payload: String,
    /// postgres-es' snapshot version: 1 for the first, then one more each
    /// time; the previous version is the optimistic-lock check.
    pub(crate) version: usize,
}

/// What one stream adds: events from `first_sequence` on.
pub(crate) struct StreamRows<'a> {
    pub(crate) aggregate_id: &'a str,
    pub(crate) first_sequence: usize,
    pub(crate) events: &'a [EventRow],
    pub(crate) snapshot: Option<&'a SnapshotRow>,
}

#[derive(Debug)]
pub(crate) enum AppendError {
    /// Another writer got to one of the streams first; nothing was written.
    Conflict,
    /// An event repeats a once key its stream already holds: what it
    /// settles was settled before. Nothing was written.
    Settled,
    Store(sqlx::Error),
}

/// The unique index that holds each stream's once keys (migration 0017).
const ONCE_KEY_INDEX: &str = "events_once_key";

impl From<sqlx::Error> for AppendError {
    fn from(error: sqlx::Error) -> Self {
        let Some(database) = error.as_database_error() else { return Self::Store(error) };
        match (database.code().as_deref(), database.constraint()) {
            (Some("23505"), Some(ONCE_KEY_INDEX)) => Self::Settled,
            (Some("23505"), _) => Self::Conflict,
            _ => Self::Store(error),
        }
    }
}

const INSERT_EVENTS: &str = "
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, once_key)
SELECT $1, e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload::json, $7::json, e.once_key
  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $8::text[]) WITH ORDINALITY
       AS e(aggregate_id, sequence, event_type, event_version, payload, once_key, n)
 ORDER BY e.n";

const INSERT_SNAPSHOT: &str = "
INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
VALUES ($1, $2, $3, $4, $5::json)";

const UPDATE_SNAPSHOT: &str = "
UPDATE snapshots SET last_sequence = $3, current_snapshot = $4, payload = $6::json
 WHERE aggregate_type = $1 AND aggregate_id = $2 AND current_snapshot = $5";

/// All or nothing: either every stream's events (and snapshots) are written,
/// or none is.
pub(crate) async fn append(
    pool: &PgPool,
    aggregate_type: &str,
    streams: &[StreamRows<'_>],
    metadata: &str,
) -> Result<(), AppendError> {
    let rows: usize = streams.iter().map(|s| s.events.len()).sum();
    let (mut ids, mut sequences, mut types, mut versions, mut payloads, mut once_keys) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    for stream in streams {
        for (event, sequence) in stream.events.iter().zip(stream.first_sequence..) {
            ids.push(stream.aggregate_id);
            sequences.push(sequence as i64);
            types.push(event.event_type.as_str());
            versions.push(event.event_version.as_str());
            payloads.push(event.payload.as_str());
            once_keys.push(event.once_key.as_deref());
        }
    }
    let insert = sqlx::query(INSERT_EVENTS)
        .bind(aggregate_type)
        .bind(ids)
        .bind(sequences)
        .bind(types)
        .bind(versions)
        .bind(payloads)
        .bind(metadata)
        .bind(once_keys);
    if streams.iter().all(|s| s.snapshot.is_none()) {
        // One statement is its own transaction.
        insert.execute(pool).await?;
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    insert.execute(&mut *tx).await?;
    for stream in streams {
        let Some(snapshot) = stream.snapshot else { continue };
        let written = if snapshot.version == 1 {
            sqlx::query(INSERT_SNAPSHOT)
                .bind(aggregate_type)
                .bind(stream.aggregate_id)
                .bind(snapshot.last_sequence as i64)
                .bind(snapshot.version as i64)
                .bind(snapshot.payload.as_str())
                .execute(&mut *tx)
                .await?
        } else {
            sqlx::query(UPDATE_SNAPSHOT)
                .bind(aggregate_type)
                .bind(stream.aggregate_id)
                .bind(snapshot.last_sequence as i64)
                .bind(snapshot.version as i64)
                .bind((snapshot.version - 1) as i64)
                .bind(snapshot.payload.as_str())
                .execute(&mut *tx)
                .await?
        };
        if written.rows_affected() != 1 {
            return Err(AppendError::Conflict);
        }
    }
    tx.commit().await?;
    Ok(())
}
