//! Striped per-stream locks: commands on one stream run one after another in
//! this process (a chat burst from one viewer would otherwise be a herd of
//! optimistic-lock conflicts), while different streams run in parallel.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use tokio::sync::{Mutex, MutexGuard};

pub(super) struct StreamLocks(Vec<Mutex<()>>);

impl StreamLocks {
    /// Enough stripes that two batches of a few hundred viewers rarely wait
    /// on each other for a viewer neither of them has.
    const STRIPES: usize = 16_384;

    pub(super) fn new() -> Self {
        Self((0..Self::STRIPES).map(|_| Mutex::new(())).collect())
    }

    /// The stripes of the streams named, in order, each once.
    pub(super) fn stripes<'s>(streams: impl Iterator<Item = &'s str>) -> Vec<usize> {
        let mut stripes: Vec<usize> = streams.map(Self::stripe).collect();
        stripes.sort_unstable();
        stripes.dedup();
        stripes
    }

    /// Locks the stripes in order: two batches that share streams take their
    /// stripes in the same order, so neither can hold one the other waits for
    /// while waiting for one the other holds.
    pub(super) async fn lock_all(&self, stripes: Vec<usize>) -> Vec<MutexGuard<'_, ()>> {
        let mut guards = Vec::with_capacity(stripes.len());
        for stripe in stripes {
            guards.push(self.0[stripe].lock().await);
        }
        guards
    }

    fn stripe(aggregate_id: &str) -> usize {
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(aggregate_id);
        (hash as usize) % Self::STRIPES
    }
}
