//! The store behind the `Idempotency-Key` header: the first request with a
//! key claims it, runs, and records its answer; a retry with the same key
//! and the same request gets that answer back without running again. The
//! request is kept only as a keyed fingerprint and the answer only sealed
//! (`seal`).

mod seal;

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use wavestack_domain::value::{IdempotencyKey, OrgId};

pub use self::seal::Sealer;

/// An answer as it was sent: status and body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request holds the key: run it, then `complete` or `release`.
    Fresh,
    /// The key was used for this same request before: send its answer again.
    Replay(StoredAnswer),
    /// The key was used for a different request.
    Mismatch,
    /// The same request is running right now (a concurrent retry).
    InProgress,
}

/// fingerprint, status, body
type StoredRow = (Vec<u8>, Option<i16>, Option<Vec<u8>>);

#[derive(Debug, Clone)]
pub struct IdempotencyStore {
    pool: PgPool,
    sealer: Sealer,
    /// How long a key is remembered.
    retention: Duration,
    /// A claim older than this without an answer belonged to a process that
    /// died mid-request; the same request may take it over.
    abandoned_after: Duration,
}

impl IdempotencyStore {
    /// `secret`: the deployment's `idempotency` secret (`KeyStore::secret`).
    pub fn new(pool: PgPool, secret: &[u8; 32]) -> Self {
        Self {
            pool,
            sealer: Sealer::new(secret),
            retention: Duration::from_secs(24 * 3600),
            abandoned_after: Duration::from_secs(60),
        }
    }

    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The request's fingerprint, to claim its key with.
    pub fn fingerprint(&self, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
        self.sealer.fingerprint(method, path, body)
    }

    pub async fn claim(&self, org: &OrgId, key: &IdempotencyKey, fingerprint: &[u8]) -> anyhow::Result<Claim> {
        // One statement decides who holds the key, so two concurrent first
        // requests cannot both see it free.
        let claimed: Option<bool> = sqlx::query_scalar(
            "INSERT INTO idempotency_keys (org, key, fingerprint) VALUES ($1, $2, $3)
             ON CONFLICT (org, key) DO UPDATE
                SET fingerprint = EXCLUDED.fingerprint, status = NULL, body = NULL,
                    created_at = now(), completed_at = NULL
              WHERE idempotency_keys.created_at < now() - make_interval(secs => $4)
                 OR (idempotency_keys.status IS NULL
                     AND idempotency_keys.fingerprint = EXCLUDED.fingerprint
                     AND idempotency_keys.created_at < now() - make_interval(secs => $5))
             RETURNING true",
        )
        .bind(org.as_str())
        .bind(key.as_str())
        .bind(fingerprint)
        .bind(self.retention.as_secs_f64())
        .bind(self.abandoned_after.as_secs_f64())
        .fetch_optional(&self.pool)
        .await
        .context("claiming the idempotency key")?;
        if claimed.is_some() {
            return Ok(Claim::Fresh);
        }
        let row: Option<StoredRow> =
            sqlx::query_as("SELECT fingerprint, status, body FROM idempotency_keys WHERE org = $1 AND key = $2")
                .bind(org.as_str())
                .bind(key.as_str())
                .fetch_optional(&self.pool)
                .await
                .context("reading the idempotency key")?;
        Ok(match row {
            // Released between our insert and this read: the caller retries.
            None => Claim::InProgress,
            Some((stored, _, _)) if stored != fingerprint => Claim::Mismatch,
            Some((_, Some(status), body)) => {
                let sealed = body.unwrap_or_default();
                let body = self
                    .sealer
                    .open(&row_of(org, key), &sealed)
                    .context("a stored answer does not open with this deployment's idempotency secret")?;
                Claim::Replay(StoredAnswer { status: status as u16, body })
            }
            Some((_, None, _)) => Claim::InProgress,
        })
    }

    pub async fn complete(&self, org: &OrgId, key: &IdempotencyKey, answer: &StoredAnswer) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $3, body = $4, completed_at = now()
              WHERE org = $1 AND key = $2 AND status IS NULL",
        )
        .bind(org.as_str())
        .bind(key.as_str())
        .bind(answer.status as i16)
        .bind(self.sealer.seal(&row_of(org, key), &answer.body))
        .execute(&self.pool)
        .await
        .context("recording the idempotent answer")?;
        Ok(())
    }

    /// Gives the key up without an answer (the request failed in a way a
    /// retry may fix), so the next request with it runs afresh.
    pub async fn release(&self, org: &OrgId, key: &IdempotencyKey) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE org = $1 AND key = $2 AND status IS NULL")
            .bind(org.as_str())
            .bind(key.as_str())
            .execute(&self.pool)
            .await
            .context("releasing the idempotency key")?;
        Ok(())
    }

    /// Forgets keys older than the retention; returns how many.
    pub async fn purge_expired(&self) -> anyhow::Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)")
            .bind(self.retention.as_secs_f64())
            .execute(&self.pool)
            .await
            .context("purging expired idempotency keys")?;
        Ok(done.rows_affected())
    }
}

/// What a sealed answer is bound to: its org and key.
fn row_of(org: &OrgId, key: &IdempotencyKey) -> Vec<u8> {
    [org.as_str().as_bytes(), &[0], key.as_str().as_bytes()].concat()
}
