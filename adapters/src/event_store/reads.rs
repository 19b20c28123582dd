//! The reads of the event store besides the tail: one stream's or one
//! org's events that the APIs serve straight from the truth, never behind
//! a projection, and what the relay's lag is measured by.

use anyhow::Context;
use sqlx::{PgConnection, PgPool};
use wavestack_domain::chat::ChatEvent;
use wavestack_schemas::AggregateKind;

use super::LogCursor;

/// The last sequence written to the stream, of whichever aggregate type
/// (0 for none); the type list lets the events' primary key answer it.
pub async fn written_up_to(pool: &PgPool, aggregate_id: &str) -> anyhow::Result<i64> {
    let types: Vec<&str> = AggregateKind::ALL.iter().map(|k| k.aggregate_type()).collect();
    let written: Option<i64> =
        sqlx::query_scalar("SELECT max(sequence) FROM events WHERE aggregate_type = ANY($1) AND aggregate_id = $2")
            .bind(&types)
            .bind(aggregate_id)
            .fetch_one(pool)
            .await
            .context("reading how far a stream is written")?;
    Ok(written.unwrap_or(0))
}

/// The last sequence written to one stream (0 for none): one look-up on
/// the events' primary key.
pub async fn stream_written_up_to(pool: &PgPool, aggregate_type: &str, aggregate_id: &str) -> sqlx::Result<usize> {
    let written: Option<i64> =
        sqlx::query_scalar("SELECT max(sequence) FROM events WHERE aggregate_type = $1 AND aggregate_id = $2")
            .bind(aggregate_type)
            .bind(aggregate_id)
            .fetch_one(pool)
            .await?;
    Ok(written.map_or(0, |n| usize::try_from(n).unwrap_or(0)))
}

/// Whether any committed event lies after `cursor`, including those not
/// relayable yet because an older transaction is still open anywhere in
/// the cluster (the snapshot's xmin horizon).
pub async fn any_after(conn: &mut PgConnection, cursor: LogCursor) -> anyhow::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM events WHERE (transaction_id, position) > ($1::bigint::text::xid8, $2))",
    )
    .bind(cursor.transaction_id)
    .bind(cursor.position)
    .fetch_one(conn)
    .await
    .context("checking for events after a cursor")
}

/// How many events wait after `cursor` (counted up to a million, so a huge
/// backlog does not make this slow), and how long ago the oldest was
/// recorded, in seconds.
pub async fn waiting_after(pool: &PgPool, cursor: LogCursor) -> anyhow::Result<(i64, Option<f64>)> {
    sqlx::query_as(
        "WITH waiting AS (
             SELECT recorded_at FROM events
              WHERE (transaction_id, position) > ($1::bigint::text::xid8, $2)
              LIMIT 1000000)
         SELECT count(*), extract(epoch FROM now() - min(recorded_at))::float8 FROM waiting",
    )
    .bind(cursor.transaction_id)
    .bind(cursor.position)
    .fetch_one(pool)
    .await
    .context("reading what waits after a cursor")
}

/// Every event in the store (a bench's check that it filled what it meant to).
pub async fn count_all(pool: &PgPool) -> anyhow::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(pool).await.context("counting the event store")
}

/// The identity stream, among the streams starting `prefix` (an org's),
/// that most recently issued a link code with this digest.
pub async fn link_code_issuer(pool: &PgPool, prefix: &str, digest: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT aggregate_id FROM events
          WHERE aggregate_type = 'identity' AND event_type = 'LinkCodeIssued'
            AND payload -> 'LinkCodeIssued' ->> 'code_digest' = $1
            AND starts_with(aggregate_id, $2)
          ORDER BY position DESC LIMIT 1",
    )
    .bind(digest)
    .bind(prefix)
    .fetch_optional(pool)
    .await
}

/// A chat stream's event that moved a balance.
#[derive(Debug, sqlx::FromRow)]
pub struct BalanceMove {
    pub sequence: i64,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub occurred_at: Option<String>,
}

/// Up to `limit` of a viewer's balance moves below sequence `before`,
/// newest first.
pub async fn balance_moves(
    pool: &PgPool,
    chat_stream: &str,
    before: i64,
    limit: i64,
) -> anyhow::Result<Vec<BalanceMove>> {
    sqlx::query_as(
        "SELECT sequence, event_type, payload, metadata->>'occurred_at' AS occurred_at
           FROM events
          WHERE aggregate_type = 'chat' AND aggregate_id = $1 AND sequence < $2
            AND event_type = ANY($4)
          ORDER BY sequence DESC
          LIMIT $3",
    )
    .bind(chat_stream)
    .bind(before)
    .bind(limit)
    .bind(&ChatEvent::BALANCE_MOVES[..])
    .fetch_all(pool)
    .await
    .context("reading a viewer's points")
}

/// Each command stream starting `prefix` (a channel's) with the count of
/// its latest answer.
pub async fn command_use_counts(pool: &PgPool, prefix: &str) -> anyhow::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT DISTINCT ON (aggregate_id) aggregate_id, (payload->'CommandAnswered'->>'count')::bigint AS uses
           FROM events
          WHERE aggregate_type = 'command_use' AND starts_with(aggregate_id, $1) AND event_type = 'CommandAnswered'
          ORDER BY aggregate_id, sequence DESC",
    )
    .bind(prefix)
    .fetch_all(pool)
    .await
    .context("counting command uses")
}

/// The latest `limit` command-use events of the streams starting `prefix`
/// (a channel's), newest first.
pub async fn recent_command_uses(pool: &PgPool, prefix: &str, limit: i64) -> anyhow::Result<Vec<serde_json::Value>> {
    sqlx::query_scalar(
        "SELECT payload FROM events
          WHERE aggregate_type = 'command_use' AND starts_with(aggregate_id, $1)
          ORDER BY position DESC LIMIT $2",
    )
    .bind(prefix)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("reading recent command uses")
}

/// The latest `limit` chat messages and moderation events of the chat
/// streams starting `prefix` (a channel's), and what moderators removed in
/// the platform's own chat (the channel's `broadcast` stream), newest
/// first, with their stream.
pub async fn recent_chat(
    pool: &PgPool,
    prefix: &str,
    broadcast: &str,
    limit: i64,
) -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    sqlx::query_as(
        "SELECT aggregate_id, payload FROM (
            (SELECT aggregate_id, payload, position FROM events
              WHERE aggregate_type = 'chat' AND starts_with(aggregate_id, $1)
                AND event_type IN ('ChatMessageReceived', 'MessageModerated', 'ModeratorActed')
              ORDER BY position DESC LIMIT $2)
            UNION ALL
            (SELECT aggregate_id, payload, position FROM events
              WHERE aggregate_type = 'broadcast' AND aggregate_id = $3
                AND event_type IN ('ChatMessageDeleted', 'ChatCleared')
              ORDER BY position DESC LIMIT $2)
         ) latest ORDER BY position DESC LIMIT $2",
    )
    .bind(prefix)
    .bind(limit)
    .bind(broadcast)
    .fetch_all(pool)
    .await
    .context("reading a channel's latest chat")
}

/// Which of `keys` (aggregate id, once key) the store holds for streams of
/// `aggregate_type`: after a write refused for repeating one, the command
/// bus decides again, leaving out what was settled already.
pub(crate) async fn held_once_keys(
    pool: &PgPool,
    aggregate_type: &str,
    keys: &[(&str, &str)],
) -> sqlx::Result<Vec<(String, String)>> {
    let (ids, once): (Vec<&str>, Vec<&str>) = keys.iter().copied().unzip();
    sqlx::query_as(
        "SELECT e.aggregate_id, e.once_key
           FROM unnest($2::text[], $3::text[]) AS k(aggregate_id, once_key)
           JOIN events e ON e.aggregate_type = $1 AND e.aggregate_id = k.aggregate_id AND e.once_key = k.once_key",
    )
    .bind(aggregate_type)
    .bind(ids)
    .bind(once)
    .fetch_all(pool)
    .await
}

/// The payload (JSON as stored) of the event that holds `once_key` in the
/// stream, if one does: what settled it, however long ago.
pub(crate) async fn payload_with_once_key(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
    once_key: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND once_key = $3",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(once_key)
    .fetch_optional(pool)
    .await
}

/// The writer lease an event was written under (`writer::WRITER` in its
/// stored metadata), if it names one.
pub async fn writer_of(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: i64,
) -> sqlx::Result<Option<uuid::Uuid>> {
    let writer: Option<Option<String>> = sqlx::query_scalar(
        "SELECT metadata->>'writer' FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(sequence)
    .fetch_optional(pool)
    .await?;
    Ok(writer.flatten().and_then(|raw| uuid::Uuid::parse_str(&raw).ok()))
}

/// One stream's events after sequence `after` up to `through`, in sequence
/// order, as the store holds them now: what the audit witness recomputes
/// the stream's chain from, to hold it against the log's.
pub async fn stream_events(
    conn: &mut PgConnection,
    aggregate_type: &str,
    aggregate_id: &str,
    after: i64,
    through: i64,
) -> sqlx::Result<Vec<super::StoredEvent>> {
    let statement = format!(
        "SELECT {} FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3 AND sequence <= $4
          ORDER BY sequence",
        super::tail::COLUMNS
    );
    sqlx::query_as(&statement).bind(aggregate_type).bind(aggregate_id).bind(after).bind(through).fetch_all(conn).await
}
