//! Reads of whole streams that must not lag (who may open a dashboard or
//! an overlay) but come far more often than the stream changes. The state
//! is kept with the sequence it was read at; each read first asks the
//! store how far the stream is written, one look-up on its primary key,
//! and reads the stream again only when it moved on.
//!
//! Before, every overlay request and every two seconds of every overlay
//! socket replayed the org's whole team stream, which a tenant can grow
//! without bound by issuing and revoking keys; junk keys made anyone able
//! to make the process do it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cqrs_es::Aggregate;
use quick_cache::sync::Cache;
use sqlx::PgPool;

use super::{read_state_at, StoreError};
use crate::event_store::reads::stream_written_up_to;

/// Streams kept: one per org for the team, so a few thousand orgs.
const STREAMS_KEPT: usize = 4096;

pub struct FreshReads<A: Aggregate> {
    kept: Cache<String, (usize, Arc<A>)>,
    /// How many times a stream was read whole (for tests and metrics).
    reads: AtomicU64,
}

impl<A: Aggregate> std::fmt::Debug for FreshReads<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreshReads").field("aggregate", &A::TYPE).finish_non_exhaustive()
    }
}

impl<A: Aggregate> Default for FreshReads<A> {
    fn default() -> Self {
        Self { kept: Cache::new(STREAMS_KEPT), reads: AtomicU64::new(0) }
    }
}

impl<A: Aggregate> FreshReads<A> {
    /// The stream's state as the store holds it now.
    pub async fn get(&self, pool: &PgPool, aggregate_id: &str) -> Result<Arc<A>, StoreError> {
        let written =
            stream_written_up_to(pool, A::TYPE, aggregate_id).await.map_err(|e| StoreError::query(aggregate_id, e))?;
        if let Some((sequence, state)) = self.kept.get(aggregate_id) {
            if sequence == written {
                return Ok(state);
            }
        }
        let (state, sequence) = read_state_at::<A>(pool, aggregate_id).await?;
        self.reads.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(state);
        // Kept at the sequence it was read at: a write since shows as a
        // higher sequence at the next read, which reads it again.
        self.kept.insert(aggregate_id.to_owned(), (sequence, state.clone()));
        Ok(state)
    }

    /// How many times a stream was read whole.
    pub fn whole_reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}
