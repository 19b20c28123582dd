//! A projection's Postgres side: its schema, the lock that keeps one runner
//! per schema, the consumed offsets and the last sequence applied per
//! aggregate, written with the read model in one transaction.

use super::sql;
use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use wavestack_schemas::LogEnvelope;

use super::Projection;

#[derive(Debug)]
pub struct ProjectionStore {
    /// Dedicated: it holds the session-level advisory lock.
    conn: PgConnection,
    schema: String,
}

/// Schema names go into SQL text; only a plain identifier is accepted.
pub use wavestack_adapters::postgres::check_identifier as check_schema_name;

/// The last sequence of `aggregate_id` applied to the read model in
/// `schema` (0 if none, or if the read model does not exist yet).
pub async fn applied_sequence(pool: &PgPool, schema: &str, aggregate_id: &str) -> anyhow::Result<u64> {
    check_schema_name(schema)?;
    let seq: Option<i64> = sqlx::query_scalar(&sql::reading_the_applied_sequence(schema))
        .bind(aggregate_id)
        .fetch_optional(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(None) } else { Err(e) })
        .context("reading the applied sequence")?;
    Ok(seq.unwrap_or(0) as u64)
}

/// The sequences applied of each aggregate named that the read model has
/// seen (absent: none yet), in one query.
pub async fn applied_sequences(
    pool: &PgPool,
    schema: &str,
    aggregate_ids: &[String],
) -> anyhow::Result<HashMap<String, u64>> {
    check_schema_name(schema)?;
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql::reading_the_applied_sequences(schema))
        .bind(aggregate_ids)
        .fetch_all(pool)
        .await
        .or_else(|e| if read_model_missing(&e) { Ok(Vec::new()) } else { Err(e) })
        .context("reading the applied sequences")?;
    Ok(rows.into_iter().map(|(id, seq)| (id, seq as u64)).collect())
}

/// The lock a replay holds, exclusively, while it swaps a rebuilt model in
/// for `schema`; runners look for it with a shared try.
pub const SWAP_LOCK: &str = "hashtextextended('wavestack.projection-swap:' || $1, 0)";

async fn swap_requested(conn: &mut PgConnection, schema: &str) -> anyhow::Result<bool> {
    let free: bool = sqlx::query_scalar(&format!("SELECT pg_try_advisory_lock_shared({SWAP_LOCK})"))
        .bind(schema)
        .fetch_one(&mut *conn)
        .await
        .context("looking for a swap")?;
    if free {
        sqlx::query(&format!("SELECT pg_advisory_unlock_shared({SWAP_LOCK})")).bind(schema).execute(&mut *conn).await?;
    }
    Ok(!free)
}

/// The query named a read model whose projection has not started yet.
pub use wavestack_adapters::postgres::relation_missing as read_model_missing;

impl ProjectionStore {
    /// Waits for the schema's lock; `None` if cancelled first. While a
    /// replay is swapping a rebuilt model in for the schema, it waits for
    /// the swap to finish, so the replay is never raced for the lock.
    pub async fn lock(pool: &PgPool, schema: &str, cancel: &CancellationToken) -> anyhow::Result<Option<Self>> {
        check_schema_name(schema)?;
        let mut conn = pool.acquire().await.context("connecting the projection to Postgres")?.detach();
        loop {
            if !swap_requested(&mut conn, schema).await? {
                let locked: bool = sqlx::query_scalar(
                    "SELECT pg_try_advisory_lock(hashtextextended('wavestack.projection:' || $1, 0))",
                )
                .bind(schema)
                .fetch_one(&mut conn)
                .await
                .context("taking the projection lock")?;
                if locked {
                    return Ok(Some(Self { conn, schema: schema.to_owned() }));
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(None),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// Whether a replay is waiting to swap a rebuilt model in for this
    /// schema: the runner then steps aside (`ProjectionRunner::run`).
    pub async fn swap_requested(&mut self) -> anyhow::Result<bool> {
        swap_requested(&mut self.conn, &self.schema).await
    }

    /// Gives the schema's lock back by ending the session.
    pub async fn release(self) {
        let _ = self.conn.close().await;
    }

    pub async fn create(&mut self, projection_tables: &[String]) -> anyhow::Result<()> {
        self.create_as(projection_tables, false).await
    }

    /// For a rebuild from the store: the tables are created `UNLOGGED`
    /// (no WAL while millions of rows are upserted) and made logged once
    /// filled (`make_logged`), which writes only the final rows to the WAL.
    /// A crash in between leaves them empty, and a rebuild is started over
    /// anyway.
    pub async fn create_unlogged(&mut self, projection_tables: &[String]) -> anyhow::Result<()> {
        self.create_as(projection_tables, true).await
    }

    /// Makes every table of the schema logged (see `create_unlogged`).
    pub async fn make_logged(&mut self) -> anyhow::Result<()> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relpersistence = 'u'",
        )
        .bind(&self.schema)
        .fetch_all(&mut self.conn)
        .await?;
        for table in tables {
            check_schema_name(&table)?;
            sqlx::query(&format!("ALTER TABLE {}.{table} SET LOGGED", self.schema))
                .execute(&mut self.conn)
                .await
                .with_context(|| format!("making {table} logged"))?;
        }
        Ok(())
    }

    async fn create_as(&mut self, projection_tables: &[String], unlogged: bool) -> anyhow::Result<()> {
        let mut statements = super::ddl::statements(include_str!("tables.sql"), &self.schema);
        statements.extend(projection_tables.iter().cloned());
        if unlogged {
            statements = super::ddl::unlogged(statements);
        }
        let mut tx = self.conn.begin().await?;
        for statement in statements {
            sqlx::query(&statement).execute(&mut *tx).await.with_context(|| format!("running `{statement}`"))?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Next offset to read per (topic, partition).
    pub async fn offsets(&mut self) -> anyhow::Result<HashMap<(String, i32), i64>> {
        let rows: Vec<(String, i32, i64)> = sqlx::query_as(&sql::reading_offsets(&self.schema))
            .fetch_all(&mut self.conn)
            .await
            .context("reading the projection's offsets")?;
        Ok(rows.into_iter().map(|(t, p, o)| ((t, p), o)).collect())
    }

    /// Indices of the events not applied yet: above their aggregate's last
    /// applied sequence, and not repeated within the batch.
    pub async fn fresh(&mut self, events: &[LogEnvelope]) -> anyhow::Result<Vec<usize>> {
        let mut ids: Vec<&str> = events.iter().map(|e| e.aggregate_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let rows: Vec<(String, i64)> = sqlx::query_as(&sql::reading_the_applied_sequences(&self.schema))
            .bind(&ids)
            .fetch_all(&mut self.conn)
            .await
            .context("reading the projection's positions")?;
        let mut last: HashMap<String, u64> = rows.into_iter().map(|(id, seq)| (id, seq as u64)).collect();
        let mut fresh = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let seen = last.entry(event.aggregate_id.clone()).or_insert(0);
            if event.sequence > *seen {
                if event.sequence > *seen + 1 && *seen > 0 {
                    // Events of this aggregate never reached us: a broker or
                    // relay fault. Applied anyway (stalling would stop every
                    // read model), but loudly.
                    tracing::error!(aggregate = %event.aggregate_id, after = *seen, got = event.sequence, "sequence gap");
                    metrics::counter!("wavestack_projection_sequence_gaps_total", "schema" => self.schema.clone())
                        .increment(1);
                }
                *seen = event.sequence;
                fresh.push(index);
            }
        }
        Ok(fresh)
    }

    /// Read model, positions and offsets in one transaction.
    pub async fn apply<P: Projection>(
        &mut self,
        projection: &P,
        events: &[LogEnvelope],
        next_offsets: &HashMap<(String, i32), i64>,
    ) -> anyhow::Result<()> {
        let s = self.schema.clone();
        let mut tx = self.conn.begin().await?;
        if !events.is_empty() {
            projection.apply(&mut tx, &s, events).await?;
            let mut positions: HashMap<&str, i64> = HashMap::new();
            for event in events {
                let seq = positions.entry(event.aggregate_id.as_str()).or_insert(0);
                *seq = (*seq).max(event.sequence as i64);
            }
            let (ids, seqs): (Vec<&str>, Vec<i64>) = positions.into_iter().unzip();
            sqlx::query(&sql::storing_positions(&s))
                .bind(&ids)
                .bind(&seqs)
                .execute(&mut *tx)
                .await
                .context("storing positions")?;
        }
        if !next_offsets.is_empty() {
            let mut topics = Vec::new();
            let mut partitions = Vec::new();
            let mut offsets = Vec::new();
            for ((topic, partition), offset) in next_offsets {
                topics.push(topic.as_str());
                partitions.push(*partition);
                offsets.push(*offset);
            }
            sqlx::query(&sql::storing_offsets(&s))
                .bind(&topics)
                .bind(&partitions)
                .bind(&offsets)
                .execute(&mut *tx)
                .await
                .context("storing offsets")?;
        }
        tx.commit().await.context("committing the batch")?;
        Ok(())
    }
}
