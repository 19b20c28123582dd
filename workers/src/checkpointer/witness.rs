//! The checkpointer as a witness (issue 26, items 10 and 21). The audit
//! projection computes each stream's chain from the log; the checkpointer
//! recomputes it from the store's events, and signs a head only when the
//! two agree. A forged event produced straight to the broker, or an event
//! changed in the store after it was relayed, is then never signed: it
//! raises an alarm instead (a row in `audit_witness_alarms`, an error in
//! the log, `wavestack_audit_witness_alarms_total`, and `/ready`'s
//! `audit.witness_alarms`).
//!
//! Each round recomputes only what moved: from the last head it signed,
//! whose chain it sealed with its own key. A head whose seal does not
//! verify is recomputed from the stream's first event.

use anyhow::Context;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use sqlx::PgConnection;
use wavestack_adapters::audit_checkpoints::{self, SignedHead, WitnessAlarm};
use wavestack_adapters::event_store::reads;
use wavestack_projections::audit::MovedHead;
use wavestack_schemas::audit::{link, ChainHash, GENESIS};

/// What the seal signs: the domain tag and the head.
fn sealed_text(aggregate_type: &str, aggregate_id: &str, sequence: i64, chain: &[u8]) -> Vec<u8> {
    format!("wavestack.witness.v1\n{aggregate_type}\n{aggregate_id}\n{sequence}\n{}", hex::encode(chain)).into_bytes()
}

/// The checkpointer's seal over a head it signs.
pub(super) fn seal(key: &SigningKey, head: &MovedHead) -> Vec<u8> {
    let text = sealed_text(&head.aggregate_type, &head.aggregate_id, head.sequence, &head.chain);
    key.sign(&text).to_bytes().to_vec()
}

/// Where recomputing the stream's chain may start: its last signed head if
/// this key sealed it, else the stream's beginning.
fn start(key: &SigningKey, head: &MovedHead, signed: Option<SignedHead>) -> (i64, ChainHash) {
    let Some(SignedHead { sequence, chain: Some(chain), seal: Some(seal) }) = signed else { return (0, GENESIS) };
    let text = sealed_text(&head.aggregate_type, &head.aggregate_id, sequence, &chain);
    let sealed = Signature::from_slice(&seal).is_ok_and(|s| key.verifying_key().verify(&text, &s).is_ok());
    match (sealed, ChainHash::try_from(chain.as_slice())) {
        (true, Ok(chain)) if sequence <= head.sequence => (sequence, chain),
        _ => (0, GENESIS),
    }
}

/// The stream's chain at `head.sequence` as the store's events give it;
/// `None` when the store lacks an event up to it.
async fn store_chain(conn: &mut PgConnection, key: &SigningKey, head: &MovedHead) -> anyhow::Result<Option<ChainHash>> {
    let signed = audit_checkpoints::signed_head(conn, &head.aggregate_type, &head.aggregate_id).await?;
    let (from, mut chain) = start(key, head, signed);
    let events = reads::stream_events(conn, &head.aggregate_type, &head.aggregate_id, from, head.sequence)
        .await
        .context("reading a stream's events to witness its head")?;
    for (expected, event) in (from + 1..).zip(&events) {
        if event.sequence != expected {
            return Ok(None);
        }
        chain = link(&chain, &event.to_envelope()?);
    }
    let complete = from + events.len() as i64 == head.sequence;
    Ok(complete.then_some(chain))
}

/// The heads the store agrees with, to sign; an alarm for each other.
pub(super) async fn witness(
    conn: &mut PgConnection,
    key: &SigningKey,
    heads: Vec<MovedHead>,
) -> anyhow::Result<Vec<MovedHead>> {
    let mut agreed = Vec::with_capacity(heads.len());
    for head in heads {
        let store = store_chain(conn, key, &head).await?;
        if store.as_ref().is_some_and(|chain| chain.as_slice() == head.chain.as_slice()) {
            agreed.push(head);
            continue;
        }
        let alarm = WitnessAlarm {
            org: head.org.clone(),
            aggregate_type: head.aggregate_type.clone(),
            aggregate_id: head.aggregate_id.clone(),
            sequence: head.sequence,
        };
        let store = store.as_ref().map(|chain| chain.as_slice());
        if audit_checkpoints::raise_alarm(conn, &alarm, &head.chain, store).await? {
            metrics::counter!("wavestack_audit_witness_alarms_total").increment(1);
            tracing::error!(
                org = %alarm.org,
                stream = %alarm.aggregate_id,
                aggregate_type = %alarm.aggregate_type,
                sequence = alarm.sequence,
                store = if store.is_some() { "a different chain" } else { "no event there" },
                "the log and the store disagree on a stream's head: not signed"
            );
        }
    }
    Ok(agreed)
}
