//! The signed audit checkpoints' own tables (`audit_checkpoints`, each
//! org's numbered checkpoints as signed; `audit_signed_heads`, the last
//! sequence signed per stream): the checkpointer writes them, the query
//! API serves them, and this module is the only code that names them.

use anyhow::Context;
use sqlx::{PgConnection, PgPool};

/// The table of the last signed sequence per stream
/// (`aggregate_type`, `aggregate_id`, `sequence`), for the audit
/// projection's moved-heads read to join against.
pub const SIGNED_HEADS: &str = "audit_signed_heads";

/// One checkpoint as stored: the exact signed text and its signature.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredCheckpoint {
    pub org: String,
    pub number: i64,
    pub body: String,
    pub signature: String,
    pub published: bool,
}

/// The org's latest checkpoint: its number and body.
pub async fn latest(conn: &mut PgConnection, org: &str) -> anyhow::Result<Option<(i64, String)>> {
    sqlx::query_as("SELECT number, body FROM audit_checkpoints WHERE org = $1 ORDER BY number DESC LIMIT 1")
        .bind(org)
        .fetch_optional(conn)
        .await
        .context("reading the latest checkpoint")
}

/// Stores a signed checkpoint, unpublished.
pub async fn store(conn: &mut PgConnection, org: &str, number: i64, body: &str, signature: &str) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO audit_checkpoints (org, number, body, signature) VALUES ($1, $2, $3, $4)")
        .bind(org)
        .bind(number)
        .bind(body)
        .bind(signature)
        .execute(conn)
        .await
        .context("storing a checkpoint")?;
    Ok(())
}

/// Records the streams' sequences as signed; column by column.
pub async fn record_signed(
    conn: &mut PgConnection,
    aggregate_types: &[&str],
    aggregate_ids: &[&str],
    sequences: &[i64],
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO audit_signed_heads (aggregate_type, aggregate_id, sequence)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[])
             ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET sequence = EXCLUDED.sequence",
    )
    .bind(aggregate_types)
    .bind(aggregate_ids)
    .bind(sequences)
    .execute(conn)
    .await
    .context("recording the signed heads")?;
    Ok(())
}

/// Every checkpoint not yet on the log, in number order per org.
pub async fn unpublished(pool: &PgPool) -> anyhow::Result<Vec<StoredCheckpoint>> {
    sqlx::query_as(
        "SELECT org, number, body, signature, false AS published FROM audit_checkpoints
          WHERE published_at IS NULL ORDER BY org, number",
    )
    .fetch_all(pool)
    .await
    .context("reading the unpublished checkpoints")
}

pub async fn mark_published(pool: &PgPool, org: &str, number: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE audit_checkpoints SET published_at = now() WHERE org = $1 AND number = $2")
        .bind(org)
        .bind(number)
        .execute(pool)
        .await
        .context("marking a checkpoint published")?;
    Ok(())
}

/// The org's checkpoints numbered after `after`, at most `limit`, in
/// number order.
pub async fn page(pool: &PgPool, org: &str, after: i64, limit: i64) -> anyhow::Result<Vec<StoredCheckpoint>> {
    sqlx::query_as(
        "SELECT org, number, body, signature, published_at IS NOT NULL AS published FROM audit_checkpoints
          WHERE org = $1 AND number > $2 ORDER BY number LIMIT $3",
    )
    .bind(org)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("reading the audit checkpoints")
}
