//! The signed audit checkpoints' own tables (`audit_checkpoints`, each
//! org's numbered checkpoints as signed; `audit_signed_heads`, the last
//! sequence signed per stream with its chain, sealed; `audit_witness_alarms`,
//! the heads the store and the log disagreed on): the checkpointer writes
//! them, the query API and `/ready` read them, and this module is the only
//! code that names them.

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

/// A stream's last signed head: its sequence, chain and seal (both absent
/// for heads signed before the witness).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignedHead {
    pub sequence: i64,
    pub chain: Option<Vec<u8>>,
    pub seal: Option<Vec<u8>>,
}

pub async fn signed_head(
    conn: &mut PgConnection,
    aggregate_type: &str,
    aggregate_id: &str,
) -> anyhow::Result<Option<SignedHead>> {
    sqlx::query_as(
        "SELECT sequence, chain, seal FROM audit_signed_heads WHERE aggregate_type = $1 AND aggregate_id = $2",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .fetch_optional(conn)
    .await
    .context("reading a signed head")
}

/// The heads of one checkpoint, column by column.
#[derive(Debug)]
pub struct SignedHeads<'a> {
    pub aggregate_types: Vec<&'a str>,
    pub aggregate_ids: Vec<&'a str>,
    pub sequences: Vec<i64>,
    pub chains: Vec<&'a [u8]>,
    pub seals: Vec<Vec<u8>>,
}

/// Records the streams' heads as signed.
pub async fn record_signed(conn: &mut PgConnection, heads: &SignedHeads<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO audit_signed_heads (aggregate_type, aggregate_id, sequence, chain, seal)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::bytea[])
             ON CONFLICT (aggregate_type, aggregate_id)
             DO UPDATE SET sequence = EXCLUDED.sequence, chain = EXCLUDED.chain, seal = EXCLUDED.seal",
    )
    .bind(&heads.aggregate_types)
    .bind(&heads.aggregate_ids)
    .bind(&heads.sequences)
    .bind(&heads.chains)
    .bind(&heads.seals)
    .execute(conn)
    .await
    .context("recording the signed heads")?;
    Ok(())
}

/// A head the store and the log disagree on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct WitnessAlarm {
    pub org: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
}

/// Records an alarm; true when it is new.
pub async fn raise_alarm(
    conn: &mut PgConnection,
    alarm: &WitnessAlarm,
    log_chain: &[u8],
    store_chain: Option<&[u8]>,
) -> anyhow::Result<bool> {
    let raised = sqlx::query(
        "INSERT INTO audit_witness_alarms (aggregate_type, aggregate_id, sequence, org, log_chain, store_chain)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&alarm.aggregate_type)
    .bind(&alarm.aggregate_id)
    .bind(alarm.sequence)
    .bind(&alarm.org)
    .bind(log_chain)
    .bind(store_chain)
    .execute(conn)
    .await
    .context("raising a witness alarm")?;
    Ok(raised.rows_affected() == 1)
}

/// The alarms raised, newest first, at most `limit`; and how many there are.
pub async fn alarms(pool: &PgPool, limit: i64) -> anyhow::Result<(i64, Vec<WitnessAlarm>)> {
    let count = sqlx::query_scalar("SELECT count(*) FROM audit_witness_alarms")
        .fetch_one(pool)
        .await
        .context("counting the witness alarms")?;
    let newest = sqlx::query_as(
        "SELECT org, aggregate_type, aggregate_id, sequence FROM audit_witness_alarms
          ORDER BY found_at DESC, aggregate_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("reading the witness alarms")?;
    Ok((count, newest))
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
