use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::event::{PollEvent, PollOpened};
use crate::value::{Account, Timestamp};

crate::value::closed_enum!(
    PollPhase {
        New => "new",
        Open => "open",
        Closed => "closed",
        Cancelled => "cancelled",
    }
);

// `closed_enum!` writes the enum, so `#[default]` cannot go on a variant.
#[allow(clippy::derivable_impls)]
impl Default for PollPhase {
    fn default() -> Self {
        PollPhase::New
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PollState {
    pub(crate) opened: Option<PollOpened>,
    pub(crate) phase: PollPhase,
    pub(crate) votes: HashMap<Account, u32>,
    pub(crate) counts: Vec<u64>,
}

impl PollState {
    pub fn opened(&self) -> Option<&PollOpened> {
        self.opened.as_ref()
    }

    pub fn phase(&self) -> PollPhase {
        self.phase
    }

    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Open and before its end at `at`.
    pub fn open_at(&self, at: Timestamp) -> bool {
        self.phase == PollPhase::Open && self.opened.as_ref().is_some_and(|o| at < o.closes_at)
    }

    /// The option a vote's text names: its number from 1, or its text
    /// (case-insensitive).
    pub fn option_named(&self, raw: &str) -> Option<u32> {
        let options = &self.opened.as_ref()?.options;
        let raw = raw.trim();
        if let Ok(number) = raw.parse::<usize>() {
            return (1..=options.len()).contains(&number).then(|| number as u32 - 1);
        }
        options.iter().position(|o| o.eq_ignore_ascii_case(raw)).map(|i| i as u32)
    }

    pub(crate) fn evolve(&mut self, event: &PollEvent) {
        match event {
            PollEvent::PollOpened(e) => {
                self.counts = vec![0; e.options.len()];
                self.opened = Some(e.clone());
                self.phase = PollPhase::Open;
            }
            PollEvent::VoteCast(e) => {
                if let Some(previous) = e.previous.and_then(|p| self.counts.get_mut(p as usize)) {
                    *previous -= 1;
                }
                if let Some(count) = self.counts.get_mut(e.option as usize) {
                    *count += 1;
                }
                self.votes.insert(e.person.clone(), e.option);
            }
            PollEvent::PollClosed(_) => self.phase = PollPhase::Closed,
            PollEvent::PollCancelled(_) => self.phase = PollPhase::Cancelled,
        }
    }
}
