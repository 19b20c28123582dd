//! Where each relay is in the store's log order: the `relay_checkpoints`
//! table, owned here.

use anyhow::Context;
use sqlx::{PgConnection, PgPool};

use crate::event_store::LogCursor;

/// Just past the last event the relay named `relay` put on the log.
pub(crate) async fn load(conn: &mut PgConnection, relay: &str) -> anyhow::Result<LogCursor> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT transaction_id::text::bigint, position FROM relay_checkpoints WHERE relay = $1")
            .bind(relay)
            .fetch_optional(conn)
            .await
            .context("loading the relay checkpoint")?;
    Ok(row.map(|(transaction_id, position)| LogCursor { transaction_id, position }).unwrap_or_default())
}

pub(crate) async fn save(conn: &mut PgConnection, relay: &str, at: LogCursor) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO relay_checkpoints (relay, transaction_id, position, updated_at)
         VALUES ($1, $2::bigint::text::xid8, $3, now())
         ON CONFLICT (relay) DO UPDATE
            SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()",
    )
    .bind(relay)
    .bind(at.transaction_id)
    .bind(at.position)
    .execute(conn)
    .await
    .context("saving the relay checkpoint")?;
    Ok(())
}

/// The checkpoint furthest behind of every relay (normally the one,
/// `main`); the store's start when none has run.
pub(crate) async fn furthest_behind(pool: &PgPool) -> anyhow::Result<LogCursor> {
    let (transaction_id, position): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(min(transaction_id::text::bigint), 0), coalesce(min(position), 0) FROM relay_checkpoints",
    )
    .fetch_one(pool)
    .await
    .context("reading the relays' checkpoints")?;
    Ok(LogCursor { transaction_id, position })
}
