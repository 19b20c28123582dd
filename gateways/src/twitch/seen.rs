//! Twitch delivers at least once: a message id seen lately is a redelivery.

use std::collections::{HashSet, VecDeque};

/// Message ids remembered for de-duplication.
const REMEMBERED_IDS: usize = 10_000;

/// The last [`REMEMBERED_IDS`] message ids.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Seen {
    /// True the first time `id` is seen.
    pub(crate) fn first(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() == REMEMBERED_IDS {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
        self.order.push_back(id.to_owned());
        self.ids.insert(id.to_owned());
        true
    }

    /// `id` was not handled after all: its next delivery is new again.
    pub(crate) fn forget(&mut self, id: &str) {
        if self.ids.remove(id) {
            self.order.retain(|seen| seen != id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_new_once_and_old_ones_are_forgotten_in_order() {
        let mut seen = Seen::default();
        assert!(seen.first("a"));
        assert!(!seen.first("a"));
        for i in 0..REMEMBERED_IDS {
            assert!(seen.first(&i.to_string()));
        }
        assert!(seen.first("a"), "forgotten after the window");
        assert_eq!(seen.ids.len(), REMEMBERED_IDS);
    }
}
