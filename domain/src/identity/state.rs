use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::IdentityEvent;
use crate::value::{Account, Timestamp};

/// The code a root issued and nobody has redeemed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub code_digest: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityState {
    /// The person's root when this account joined another's; none when
    /// the account is a root (alone, or holding `members`).
    pub(crate) root: Option<Account>,
    /// The merge that moved this account, so a repeated join is a no-op.
    pub(crate) joined_by: Option<Uuid>,
    /// At a root: the other accounts of the person.
    pub(crate) members: BTreeSet<Account>,
    /// At a root: merges redeemed and not yet complete, with the accounts
    /// on their way in (counted when checking one account per platform).
    pub(crate) incoming: BTreeMap<Uuid, Vec<Account>>,
    /// At a root: merges completed, so a repeated completion is a no-op.
    pub(crate) completed: BTreeSet<Uuid>,
    pub(crate) code: Option<PendingCode>,
    /// This account's failed verifications, oldest first (the last hour's).
    pub(crate) failures: VecDeque<Timestamp>,
}

impl IdentityState {
    /// The person's root: another account, or none when this is the root.
    pub fn root(&self) -> Option<&Account> {
        self.root.as_ref()
    }

    /// At a root: the person's other accounts.
    pub fn members(&self) -> impl Iterator<Item = &Account> {
        self.members.iter()
    }

    /// The merge that moved this account into its person, if one did.
    pub fn joined_by(&self) -> Option<Uuid> {
        self.joined_by
    }

    pub fn code(&self) -> Option<&PendingCode> {
        self.code.as_ref()
    }

    pub(crate) fn evolve(&mut self, event: &IdentityEvent) {
        match event {
            IdentityEvent::LinkCodeIssued(e) => {
                self.code = Some(PendingCode { code_digest: e.code_digest.clone(), expires_at: e.expires_at })
            }
            IdentityEvent::LinkAttemptFailed(e) => {
                // Only the last hour's failures count; older ones are let go.
                while self.failures.front().is_some_and(|t| !super::decide::within_window(*t, e.at)) {
                    self.failures.pop_front();
                }
                self.failures.push_back(e.at);
            }
            IdentityEvent::CodeRedeemed(e) => {
                self.code = None;
                self.incoming.insert(e.merge_id, e.accounts.clone());
            }
            IdentityEvent::PersonJoined(e) => {
                self.root = Some(e.root.clone());
                self.joined_by = Some(e.merge_id);
                // An old root hands its members over with itself.
                self.members.clear();
                self.incoming.clear();
                self.code = None;
            }
            IdentityEvent::AccountsJoined(e) => {
                self.incoming.remove(&e.merge_id);
                self.completed.insert(e.merge_id);
                self.members.extend(e.accounts.iter().cloned());
            }
            IdentityEvent::AccountUnlinked(e) => {
                self.members.remove(&e.account);
            }
            IdentityEvent::PersonLeft(_) => {
                self.root = None;
                self.joined_by = None;
            }
        }
    }
}
