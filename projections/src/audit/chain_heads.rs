//! `rm_chain_heads`: each stream's audit chain at its last event, kept by
//! the audit projection as it reads the log, for the checkpointer to sign.
//! Computed from the log, not from the store, so a checkpoint vouches for
//! what auditors read.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;
use wavestack_schemas::audit::{link, ChainHash, GENESIS};
use wavestack_schemas::LogEnvelope;

use super::sql;

pub(super) fn create_tables(s: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.rm_chain_heads (
                aggregate_type text NOT NULL, aggregate_id text NOT NULL, org text NOT NULL,
                sequence bigint NOT NULL, chain bytea NOT NULL,
                PRIMARY KEY (aggregate_type, aggregate_id))"
        ),
        format!("CREATE INDEX IF NOT EXISTS rm_chain_heads_org ON {s}.rm_chain_heads (org)"),
    ]
}

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
/// hands over each event once, in stream order).
pub(super) async fn extend(conn: &mut PgConnection, s: &str, events: &[LogEnvelope]) -> anyhow::Result<()> {
    let mut heads: HashMap<StreamKey, (String, i64, ChainHash)> = HashMap::new();
    let keys: Vec<StreamKey> = {
        let mut keys: Vec<StreamKey> =
            events.iter().map(|e| (e.event.kind().aggregate_type(), e.aggregate_id.clone())).collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let (types, ids): (Vec<&str>, Vec<String>) = keys.iter().cloned().unzip();
    let stored: Vec<(String, String, Vec<u8>)> = sqlx::query_as(&sql::reading_chain_heads(s))
        .bind(&types)
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
        .context("reading the chain heads")?;
    let mut previous: HashMap<(String, String), ChainHash> = HashMap::new();
    for (aggregate_type, aggregate_id, chain) in stored {
        let chain: ChainHash = chain.try_into().map_err(|_| anyhow::anyhow!("a chain head is not 32 bytes"))?;
        previous.insert((aggregate_type, aggregate_id), chain);
    }
    for envelope in events {
        let key: StreamKey = (envelope.event.kind().aggregate_type(), envelope.aggregate_id.clone());
        let before = match heads.get(&key) {
            Some((_, _, chain)) => *chain,
            None => previous.get(&(key.0.to_owned(), key.1.clone())).copied().unwrap_or(GENESIS),
        };
        let sequence = i64::try_from(envelope.sequence).context("sequence out of range")?;
        heads.insert(key, (envelope.metadata.org.to_string(), sequence, link(&before, envelope)));
    }
    let mut columns = HeadColumns::default();
    for ((aggregate_type, aggregate_id), (org, sequence, chain)) in heads {
        columns.aggregate_type.push(aggregate_type);
        columns.aggregate_id.push(aggregate_id);
        columns.org.push(org);
        columns.sequence.push(sequence);
        columns.chain.push(chain.to_vec());
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
