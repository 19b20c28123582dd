//! Each org's share of the renderers. Without it one org could queue a
//! hundred one-hour re-encodes and hold every renderer for days. A clip
//! request reserves its length before it is accepted; past the org's
//! bound on clips waiting or rendering, or on their seconds, it is refused
//! (429). The renderer releases the reservation when the clip is rendered
//! or has failed for good. Reservations are rows, so the bound holds
//! across processes: reserving takes a per-org advisory lock, so two
//! requests at once cannot both squeeze under it.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use thiserror::Error;
use uuid::Uuid;
use wavestack_domain::value::OrgId;

#[derive(Debug, Clone, Copy)]
pub struct QuotaLimits {
    /// Clips of one org waiting or rendering at once.
    pub max_clips: u32,
    /// Their requested seconds together.
    pub max_queued: Duration,
    /// A reservation this old no longer counts (its release was lost).
    pub stale_after: Duration,
}

impl Default for QuotaLimits {
    fn default() -> Self {
        Self { max_clips: 20, max_queued: Duration::from_secs(3600), stale_after: Duration::from_secs(6 * 3600) }
    }
}

#[derive(Debug, Clone)]
pub struct RenderQuota {
    pool: PgPool,
    limits: QuotaLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuotaExceeded {
    #[error("this org already has {0} clips waiting or rendering; wait for some to finish")]
    Clips(u32),
    #[error(
        "this org already has {queued_s} s of clips waiting or rendering, and {asked_s} s more is over its {max_s} s"
    )]
    Seconds { queued_s: u64, asked_s: u64, max_s: u64 },
}

/// A reservation made: `created` is false when the clip held one already
/// (a retried request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub created: bool,
}

impl RenderQuota {
    pub fn new(pool: PgPool, limits: QuotaLimits) -> Self {
        Self { pool, limits }
    }

    pub fn limits(&self) -> QuotaLimits {
        self.limits
    }

    /// Reserves `duration` of `org`'s share for the clip, or says why not.
    pub async fn reserve(
        &self,
        org: &OrgId,
        clip_id: Uuid,
        duration: Duration,
    ) -> anyhow::Result<Result<Reservation, QuotaExceeded>> {
        let mut tx = self.pool.begin().await.context("reserving render time")?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('render-quota/' || $1, 0))")
            .bind(org.as_str())
            .execute(&mut *tx)
            .await
            .context("locking the org's render quota")?;
        let held: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM render_reservations WHERE clip_id = $1)")
            .bind(clip_id)
            .fetch_one(&mut *tx)
            .await?;
        if held {
            return Ok(Ok(Reservation { created: false }));
        }
        let (clips, queued_ms): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(duration_ms), 0)::bigint FROM render_reservations
              WHERE org = $1 AND reserved_at > now() - make_interval(secs => $2)",
        )
        .bind(org.as_str())
        .bind(self.limits.stale_after.as_secs_f64())
        .fetch_one(&mut *tx)
        .await
        .context("reading the org's render quota")?;
        let asked_ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        let max_ms = i64::try_from(self.limits.max_queued.as_millis()).unwrap_or(i64::MAX);
        if clips >= i64::from(self.limits.max_clips) {
            return Ok(Err(QuotaExceeded::Clips(self.limits.max_clips)));
        }
        if queued_ms.saturating_add(asked_ms) > max_ms {
            return Ok(Err(QuotaExceeded::Seconds {
                queued_s: (queued_ms / 1000).unsigned_abs(),
                asked_s: duration.as_secs(),
                max_s: self.limits.max_queued.as_secs(),
            }));
        }
        sqlx::query("INSERT INTO render_reservations (clip_id, org, duration_ms) VALUES ($1, $2, $3)")
            .bind(clip_id)
            .bind(org.as_str())
            .bind(asked_ms)
            .execute(&mut *tx)
            .await
            .context("reserving render time")?;
        tx.commit().await.context("reserving render time")?;
        Ok(Ok(Reservation { created: true }))
    }

    /// Once the clip request was decided: a share this request reserved
    /// for a clip it did not create (an error, or a retry of a clip that
    /// exists, whose own share may be gone already) goes back at once.
    pub async fn settle(&self, clip_id: Uuid, reservation: Reservation, created: bool) -> anyhow::Result<()> {
        if reservation.created && !created {
            self.release(clip_id).await?;
        }
        Ok(())
    }

    /// Gives the clip's share back (once rendered, failed for good, or not
    /// accepted after all). Releasing twice is harmless.
    pub async fn release(&self, clip_id: Uuid) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM render_reservations WHERE clip_id = $1")
            .bind(clip_id)
            .execute(&self.pool)
            .await
            .context("releasing render time")?;
        Ok(())
    }
}
