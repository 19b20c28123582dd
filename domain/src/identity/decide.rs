use subtle::ConstantTimeEq;
use time::Duration;

use super::command::{IdentityCommand, Redeem};
use super::error::IdentityError;
use super::event::*;
use super::state::IdentityState;
use crate::aggregate::Decider;
use crate::value::{Account, Timestamp};

/// A code is good for ten minutes.
pub const CODE_LIFETIME_SECONDS: i64 = 600;
/// Failed verifications one account may make in an hour.
pub const MAX_FAILED_ATTEMPTS: usize = 5;
pub const ATTEMPT_WINDOW_SECONDS: i64 = 3_600;

pub(crate) fn within_window(failed_at: Timestamp, now: Timestamp) -> bool {
    now.as_datetime() - failed_at.as_datetime() < Duration::seconds(ATTEMPT_WINDOW_SECONDS)
}

impl Decider for IdentityState {
    type Command = IdentityCommand;
    type Event = IdentityEvent;
    type Error = IdentityError;
    type Policy = ();

    fn decide(&self, command: IdentityCommand, _: &()) -> Result<Vec<IdentityEvent>, IdentityError> {
        match command {
            IdentityCommand::IssueCode { this: _, issued_by, code_digest, at } => {
                self.rooted()?;
                Ok(vec![IdentityEvent::LinkCodeIssued(LinkCodeIssued {
                    issued_by,
                    code_digest,
                    expires_at: at.plus(Duration::seconds(CODE_LIFETIME_SECONDS)),
                    issued_at: at,
                })])
            }
            IdentityCommand::FailAttempt { at } => {
                self.check_attempts(at)?;
                Ok(vec![IdentityEvent::LinkAttemptFailed(LinkAttemptFailed { at })])
            }
            IdentityCommand::Redeem(redeem) => self.redeem(redeem),
            IdentityCommand::Join { root, from_root, merge_id, at } => {
                if self.joined_by == Some(merge_id) {
                    return Ok(vec![]);
                }
                // Only an account still in the verifier's person moves: one
                // that left or moved meanwhile stays where it is.
                let current = self.root.clone();
                let still_there = match &current {
                    Some(r) => *r == from_root,
                    None => true,
                };
                if !still_there || current.as_ref() == Some(&root) {
                    return Ok(vec![]);
                }
                Ok(vec![IdentityEvent::PersonJoined(PersonJoined { root, from_root, merge_id, at })])
            }
            IdentityCommand::CompleteMerge { merge_id, joined, at } => {
                if self.completed.contains(&merge_id) || !self.incoming.contains_key(&merge_id) {
                    return Ok(vec![]);
                }
                Ok(vec![IdentityEvent::AccountsJoined(AccountsJoined { merge_id, accounts: joined, at })])
            }
            IdentityCommand::Unlink { this, account, at } => {
                self.rooted()?;
                let leaving: Vec<Account> = if account == this {
                    self.members.iter().cloned().collect()
                } else if self.members.contains(&account) {
                    vec![account.clone()]
                } else {
                    return Err(IdentityError::NotLinked(account));
                };
                if leaving.is_empty() {
                    return Err(IdentityError::NotLinked(account));
                }
                Ok(leaving
                    .into_iter()
                    .map(|account| IdentityEvent::AccountUnlinked(AccountUnlinked { account, at }))
                    .collect())
            }
            IdentityCommand::Leave { root, at } => Ok(if self.root.as_ref() == Some(&root) {
                vec![IdentityEvent::PersonLeft(PersonLeft { root, at })]
            } else {
                vec![]
            }),
        }
    }

    fn evolve(&mut self, event: &IdentityEvent) {
        IdentityState::evolve(self, event);
    }
}

impl IdentityState {
    fn rooted(&self) -> Result<(), IdentityError> {
        match &self.root {
            Some(root) => Err(IdentityError::NotRoot { root: root.clone() }),
            None => Ok(()),
        }
    }

    /// Refuses a verification while the last hour holds too many failures,
    /// until the oldest of them is an hour old.
    pub fn check_attempts(&self, at: Timestamp) -> Result<(), IdentityError> {
        let recent: Vec<&Timestamp> = self.failures.iter().filter(|t| within_window(**t, at)).collect();
        if recent.len() >= MAX_FAILED_ATTEMPTS {
            let until = recent[0].plus(Duration::seconds(ATTEMPT_WINDOW_SECONDS));
            return Err(IdentityError::TooManyAttempts { until });
        }
        Ok(())
    }

    /// The person's accounts, the root's own first.
    pub fn accounts_with(&self, this: &Account) -> Vec<Account> {
        let mut accounts = vec![this.clone()];
        accounts.extend(self.members.iter().cloned());
        accounts
    }

    fn redeem(&self, r: Redeem) -> Result<Vec<IdentityEvent>, IdentityError> {
        self.rooted()?;
        let Some(code) = &self.code else { return Err(IdentityError::InvalidCode) };
        let matches: bool = code.code_digest.as_bytes().ct_eq(r.code_digest.as_bytes()).into();
        if !matches || r.at >= code.expires_at {
            return Err(IdentityError::InvalidCode);
        }
        if r.from_root == r.this || r.accounts.iter().any(|a| *a == r.this || self.members.contains(a)) {
            return Err(IdentityError::AlreadyLinked);
        }
        let mut taken: Vec<Account> = self.accounts_with(&r.this);
        taken.extend(self.incoming.values().flatten().cloned());
        if let Some(clash) = r.accounts.iter().find(|a| taken.iter().any(|t| t.platform == a.platform)) {
            return Err(IdentityError::PlatformTaken(clash.platform));
        }
        Ok(vec![IdentityEvent::CodeRedeemed(CodeRedeemed {
            merge_id: r.merge_id,
            from_root: r.from_root,
            accounts: r.accounts,
            redeemed_at: r.at,
        })])
    }
}
