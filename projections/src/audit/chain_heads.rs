//! `rm_chain_heads`: each stream's audit chain at its last event, kept by
//! the audit projection as it reads the log, for the checkpointer to sign.
//! Computed from the log, not from the store, so a checkpoint vouches for
//! what auditors read.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;
use wavestack_schemas::audit::{link_with_payload, ChainHash, GENESIS};
use wavestack_schemas::{AggregateKind, LogEnvelope};

use super::sql;

type StreamKey = (&'static str, String);

/// The new heads, column by column, for one `UNNEST` upsert.
#[derive(Default)]
struct HeadColumns {
    aggregate_type: Vec<&'static str>,
    aggregate_id: Vec<String>,
    org: Vec<String>,
    sequence: Vec<i64>,
    chain: Vec<Vec<u8>>,
}

/// Extends the chains of the batch's streams by its events (the runtime
/// hands over each event once, in stream order); `payloads[i]` is
/// `events[i]`'s `payload_json()`, which the event log made already.
pub(super) async fn extend(
    conn: &mut PgConnection,
    s: &str,
    events: &[LogEnvelope],
    payloads: &[serde_json::Value],
) -> anyhow::Result<()> {
    let mut keys: Vec<StreamKey> = events.iter().map(key_of).collect();
    keys.sort();
    keys.dedup();
    let (types, ids): (Vec<&str>, Vec<String>) = keys.into_iter().unzip();
    let stored: Vec<(String, String, Vec<u8>)> = sqlx::query_as(&sql::reading_chain_heads(s))
        .bind(&types)
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
        .context("reading the chain heads")?;
    // Each stream's chain so far: stored, then extended event by event.
    let mut chains: HashMap<StreamKey, ChainHash> = HashMap::new();
    for (aggregate_type, aggregate_id, chain) in stored {
        let kind = AggregateKind::from_aggregate_type(&aggregate_type)
            .with_context(|| format!("a chain head of an unknown aggregate type `{aggregate_type}`"))?;
        let chain = chain.try_into().map_err(|_| anyhow::anyhow!("a chain head is not 32 bytes"))?;
        chains.insert((kind.aggregate_type(), aggregate_id), chain);
    }
    let mut moved: HashMap<StreamKey, (String, i64)> = HashMap::new();
    for (envelope, payload) in events.iter().zip(payloads) {
        let chain = chains.entry(key_of(envelope)).or_insert(GENESIS);
        *chain = link_with_payload(chain, envelope, payload);
        let sequence = i64::try_from(envelope.sequence).context("sequence out of range")?;
        moved.insert(key_of(envelope), (envelope.metadata.org.to_string(), sequence));
    }
    let mut columns = HeadColumns::default();
    for (key, (org, sequence)) in moved {
        columns.chain.push(chains[&key].to_vec());
        columns.aggregate_type.push(key.0);
        columns.aggregate_id.push(key.1);
        columns.org.push(org);
        columns.sequence.push(sequence);
    }
    sqlx::query(&sql::upserting_chain_heads(s))
        .bind(&columns.aggregate_type)
        .bind(&columns.aggregate_id)
        .bind(&columns.org)
        .bind(&columns.sequence)
        .bind(&columns.chain)
        .execute(conn)
        .await
        .context("writing the chain heads")?;
    Ok(())
}

fn key_of(envelope: &LogEnvelope) -> StreamKey {
    (envelope.event.kind().aggregate_type(), envelope.aggregate_id.clone())
}

/// A stream's chain head that moved past what the checkpointer signed.
#[derive(Debug, sqlx::FromRow)]
pub struct MovedHead {
    pub org: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub chain: Vec<u8>,
}

/// The heads, at most `max_per_org` per org, that moved past the sequence
/// `signed` (the checkpointer's own table, named by it) holds for them, by
/// org then stream. The join stays in Postgres: a round reads only what
/// it will sign, however many streams there are. `None` when the audit
/// projection has not made its tables yet.
pub async fn moved_heads(
    conn: &mut PgConnection,
    schema: &str,
    signed: &str,
    max_per_org: i64,
) -> anyhow::Result<Option<Vec<MovedHead>>> {
    match sqlx::query_as(&sql::reading_moved_chain_heads(schema, signed)).bind(max_per_org).fetch_all(conn).await {
        Ok(moved) => Ok(Some(moved)),
        Err(error) if wavestack_adapters::postgres::relation_missing(&error) => Ok(None),
        Err(error) => Err(error).context("reading the moved chain heads"),
    }
}
