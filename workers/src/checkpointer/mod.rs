//! The checkpointer: at an interval, signs the audit chain heads that
//! moved since the last checkpoint (per org, from the audit projection's
//! chain heads, computed from the log) with the Ed25519 key from the key
//! file, stores each checkpoint with the heads it signed, and publishes it
//! to `wavestack.audit.checkpoints.v1`. It signs only the heads that the
//! store's events agree with (`witness`): a head the log and the store
//! disagree on raises an alarm instead.
//!
//! Store first, publish after: a crash in between leaves a checkpoint
//! unpublished, and the next round publishes those same bytes. The key is
//! never in the database; what the database holds is checked by anyone
//! against the public key, so an owner who edits it only makes the
//! verifier complain.

mod witness;

use std::time::Duration;

use anyhow::Context;
use ed25519_dalek::SigningKey;
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::{PgPool, Postgres, Transaction};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::audit_checkpoints::{self, SignedHeads};
use wavestack_adapters::kafka::{ensure_topics, idempotent_producer, KafkaConfig};
use wavestack_projections::audit::{moved_heads, MovedHead};
use wavestack_schemas::audit::checkpoint::{body_digest, no_previous};
use wavestack_schemas::audit::{CheckpointBody, SignedCheckpoint, StreamHead, CHECKPOINT_TOPIC};

#[derive(Debug, Clone)]
pub struct CheckpointerConfig {
    pub key: SigningKey,
    pub every: Duration,
    /// The audit projection's live schema.
    pub schema: String,
    /// The most heads one checkpoint signs; more wait for the next.
    pub max_heads: usize,
}

impl CheckpointerConfig {
    pub fn new(key: SigningKey, every: Duration) -> Self {
        Self { key, every, schema: "projection_audit".into(), max_heads: 2000 }
    }
}

/// Runs until cancelled; a failed round is logged and retried at the next.
pub async fn run_checkpointer(
    pool: PgPool,
    kafka: KafkaConfig,
    config: CheckpointerConfig,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let producer = idempotent_producer(&kafka)?;
    let public_key = hex::encode(config.key.verifying_key().as_bytes());
    tracing::info!(%public_key, every_seconds = config.every.as_secs(), "audit checkpointer running");
    let mut topic_ready = false;
    loop {
        let round = async {
            if !topic_ready {
                ensure_topics(&kafka, &[CHECKPOINT_TOPIC.to_owned()]).await?;
                topic_ready = true;
            }
            let signed = sign_moved_heads(&pool, &config).await?;
            let published = publish_pending(&pool, &producer).await?;
            anyhow::Ok((signed, published))
        };
        match round.await {
            Ok((0, 0)) => {}
            Ok((signed, published)) => tracing::info!(signed, published, "audit checkpoints"),
            Err(error) => tracing::warn!(error = format!("{error:#}"), "audit checkpoint round failed"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(config.every) => {}
        }
    }
}

/// Signs one checkpoint per org whose heads moved; returns how many.
pub async fn sign_moved_heads(pool: &PgPool, config: &CheckpointerConfig) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await?;
    // One checkpointer at a time: two would both take the next number.
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended('wavestack.audit', 0))")
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(0);
    }
    // At most `max_heads` per org: a backlog is signed over several rounds,
    // each reading only what it signs.
    let Some(moved) =
        moved_heads(&mut tx, &config.schema, audit_checkpoints::SIGNED_HEADS, config.max_heads as i64).await?
    else {
        return Ok(0);
    };
    let moved = witness::witness(&mut tx, &config.key, moved).await?;
    let mut signed = 0;
    for heads in moved.chunk_by(|a, b| a.org == b.org) {
        sign_one(&mut tx, config, &heads[0].org, heads).await?;
        signed += 1;
    }
    tx.commit().await?;
    Ok(signed)
}

async fn sign_one(
    tx: &mut Transaction<'_, Postgres>,
    config: &CheckpointerConfig,
    org: &str,
    heads: &[MovedHead],
) -> anyhow::Result<()> {
    let (number, previous) = match audit_checkpoints::latest(tx, org).await? {
        Some((number, body)) => (number as u64 + 1, body_digest(&body)),
        None => (1, no_previous()),
    };
    let body = CheckpointBody {
        version: 1,
        org: org.to_owned(),
        number,
        previous,
        signed_at: OffsetDateTime::now_utc().format(&Rfc3339)?,
        public_key: hex::encode(config.key.verifying_key().as_bytes()),
        heads: heads
            .iter()
            .map(|h| StreamHead {
                aggregate_type: h.aggregate_type.clone(),
                aggregate_id: h.aggregate_id.clone(),
                sequence: h.sequence as u64,
                chain: hex::encode(&h.chain),
            })
            .collect(),
    };
    let signed = body.sign(&config.key);
    audit_checkpoints::store(tx, org, number as i64, &signed.body, &signed.signature).await?;
    let heads = SignedHeads {
        aggregate_types: heads.iter().map(|h| h.aggregate_type.as_str()).collect(),
        aggregate_ids: heads.iter().map(|h| h.aggregate_id.as_str()).collect(),
        sequences: heads.iter().map(|h| h.sequence).collect(),
        chains: heads.iter().map(|h| h.chain.as_slice()).collect(),
        seals: heads.iter().map(|h| witness::seal(&config.key, h)).collect(),
    };
    audit_checkpoints::record_signed(tx, &heads).await
}

/// Publishes every stored checkpoint not yet on the log, in number order
/// per org; returns how many.
pub async fn publish_pending(pool: &PgPool, producer: &FutureProducer) -> anyhow::Result<usize> {
    let pending = audit_checkpoints::unpublished(pool).await?;
    for stored in &pending {
        let value = SignedCheckpoint { body: stored.body.clone(), signature: stored.signature.clone() }.to_json();
        let record = FutureRecord::to(CHECKPOINT_TOPIC).key(stored.org.as_str()).payload(&value);
        producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(error, _)| error)
            .context("publishing a checkpoint")?;
        audit_checkpoints::mark_published(pool, &stored.org, stored.number).await?;
    }
    Ok(pending.len())
}
