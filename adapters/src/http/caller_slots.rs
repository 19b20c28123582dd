//! A bounded number of things one caller (org and token subject) may hold
//! at once: read-your-writes waits, live sockets, the bots' reply feed's
//! long polls and sockets. A slot is given back when
//! dropped, so a request or socket that ends in any way frees its place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
pub struct CallerSlots {
    max: usize,
    counts: Mutex<HashMap<String, usize>>,
}

/// One caller's place, held until dropped.
#[derive(Debug)]
pub struct CallerSlot {
    slots: Arc<CallerSlots>,
    caller: String,
}

impl CallerSlots {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max: max.max(1), counts: Mutex::new(HashMap::new()) })
    }

    pub fn max(&self) -> usize {
        self.max
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for `caller`; `None` when it holds as many as it may.
    pub fn take(self: &Arc<Self>, caller: String) -> Option<CallerSlot> {
        let mut counts = self.lock();
        let count = counts.entry(caller.clone()).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(CallerSlot { slots: self.clone(), caller })
    }
}

impl Drop for CallerSlot {
    fn drop(&mut self) {
        let mut counts = self.slots.lock();
        if let Some(count) = counts.get_mut(&self.caller) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.caller);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_holds_at_most_its_bound_and_a_dropped_slot_frees_its_place() {
        let slots = CallerSlots::new(2);
        let (a, b) = (slots.take("acme/bot".into()).unwrap(), slots.take("acme/bot".into()).unwrap());
        assert!(slots.take("acme/bot".into()).is_none());
        assert!(slots.take("acme/dashboard".into()).is_some(), "another caller has its own");
        drop(a);
        assert!(slots.take("acme/bot".into()).is_some());
        drop(b);
    }
}
