//! Read-your-writes waits of every request, answered together: one query
//! per read model per tick for all the aggregates waited on, instead of one
//! per waiting request per tick. At 1,000 reads a second with a second of
//! pipeline lag, a thousand requests each polling every 10 ms starved the
//! connection pool, and the requests queued behind it held about 600 MB
//! (BENCHMARKS.md, issue 6).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::time::Instant;
use wavestack_projections::runtime::{applied_sequence, applied_sequences};

use wavestack_adapters::http::{CallerSlot, CallerSlots};

/// How often the waits are checked.
const TICK: Duration = Duration::from_millis(10);

/// Shared by every read route of a query API (cheap to clone).
#[derive(Clone)]
pub(crate) struct Waiters {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    /// Per read model schema and aggregate: who waits for which sequence.
    pending: Mutex<HashMap<(String, String), Vec<Waiter>>>,
    /// Waits in progress per caller (org and token subject): one caller
    /// cannot fill the table and the memory behind it.
    per_caller: Arc<CallerSlots>,
}

/// Most read-your-writes waits one caller may have in progress at once,
/// unless configured otherwise.
pub(crate) const MAX_WAITS_PER_CALLER: usize = 64;

struct Waiter {
    sequence: u64,
    caught_up: oneshot::Sender<()>,
}

impl Waiters {
    /// Starts the checker; it stops when the last clone is dropped.
    pub(crate) fn new(pool: PgPool, max_per_caller: usize) -> Self {
        let inner =
            Arc::new(Inner { pool, pending: Mutex::new(HashMap::new()), per_caller: CallerSlots::new(max_per_caller) });
        tokio::spawn(check_every_tick(Arc::downgrade(&inner)));
        Self { inner }
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// A place for one more wait of `caller`; `None` when it already has
    /// as many in progress as it may.
    pub(crate) fn admit(&self, caller: &str) -> Option<CallerSlot> {
        self.inner.per_caller.take(caller.to_owned())
    }

    pub(crate) fn max_per_caller(&self) -> usize {
        self.inner.per_caller.max()
    }

    /// Whether the read model in `schema` applied `aggregate_id` up to
    /// `sequence` before `deadline`; otherwise the sequence it had reached.
    pub(crate) async fn until_applied(
        &self,
        schema: &str,
        aggregate_id: &str,
        sequence: u64,
        deadline: Instant,
    ) -> anyhow::Result<Result<(), u64>> {
        // Usually already there: answered without waiting for a tick.
        let applied = applied_sequence(&self.inner.pool, schema, aggregate_id).await?;
        if applied >= sequence {
            return Ok(Ok(()));
        }
        let (caught_up, wait) = oneshot::channel();
        self.inner
            .lock()
            .entry((schema.to_owned(), aggregate_id.to_owned()))
            .or_default()
            .push(Waiter { sequence, caught_up });
        if let Ok(Ok(())) = tokio::time::timeout_at(deadline, wait).await {
            return Ok(Ok(()));
        }
        let applied = applied_sequence(&self.inner.pool, schema, aggregate_id).await?;
        Ok(if applied >= sequence { Ok(()) } else { Err(applied) })
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Vec<Waiter>>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One query per schema for everything waited on in it; wakes whoever
    /// it satisfies and forgets whoever gave up.
    async fn check(&self) {
        let mut wanted: HashMap<String, Vec<String>> = HashMap::new();
        {
            let mut pending = self.lock();
            pending.retain(|_, waiters| {
                waiters.retain(|w| !w.caught_up.is_closed());
                !waiters.is_empty()
            });
            for (schema, aggregate_id) in pending.keys() {
                wanted.entry(schema.clone()).or_default().push(aggregate_id.clone());
            }
        }
        for (schema, ids) in wanted {
            let applied = match applied_sequences(&self.pool, &schema, &ids).await {
                Ok(applied) => applied,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), schema, "checking read-your-writes waits");
                    continue;
                }
            };
            let mut pending = self.lock();
            for (aggregate_id, sequence) in applied {
                let Some(waiters) = pending.get_mut(&(schema.clone(), aggregate_id)) else { continue };
                for waiter in waiters.extract_if(.., |w| w.sequence <= sequence) {
                    let _ = waiter.caught_up.send(());
                }
            }
        }
    }
}

async fn check_every_tick(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(TICK).await;
        let Some(inner) = inner.upgrade() else { return };
        if !inner.lock().is_empty() {
            inner.check().await;
        }
    }
}
