use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::TeamEvent;
use crate::value::{MemberRole, Username};

/// Most members one org holds.
pub const MAX_MEMBERS: usize = 1_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamState {
    pub(crate) members: BTreeMap<Username, MemberRole>,
}

impl TeamState {
    pub fn role_of(&self, username: &Username) -> Option<MemberRole> {
        self.members.get(username).copied()
    }

    pub fn members(&self) -> impl Iterator<Item = (&Username, MemberRole)> {
        self.members.iter().map(|(u, r)| (u, *r))
    }

    pub(crate) fn owners(&self) -> usize {
        self.members.values().filter(|r| **r == MemberRole::Owner).count()
    }

    pub(crate) fn evolve(&mut self, event: &TeamEvent) {
        match event {
            TeamEvent::MemberAdded(e) => {
                self.members.insert(e.username.clone(), e.role);
            }
            TeamEvent::MemberRoleChanged(e) => {
                self.members.insert(e.username.clone(), e.role);
            }
            TeamEvent::MemberRemoved(e) => {
                self.members.remove(&e.username);
            }
            TeamEvent::PasswordSet(_) => {}
        }
    }
}
