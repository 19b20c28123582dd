use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::value::{Account, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityEvent {
    LinkCodeIssued(LinkCodeIssued),
    LinkAttemptFailed(LinkAttemptFailed),
    CodeRedeemed(CodeRedeemed),
    PersonJoined(PersonJoined),
    AccountsJoined(AccountsJoined),
    AccountUnlinked(AccountUnlinked),
    PersonLeft(PersonLeft),
}

impl IdentityEvent {
    pub fn name(&self) -> &'static str {
        match self {
            IdentityEvent::LinkCodeIssued(_) => "LinkCodeIssued",
            IdentityEvent::LinkAttemptFailed(_) => "LinkAttemptFailed",
            IdentityEvent::CodeRedeemed(_) => "CodeRedeemed",
            IdentityEvent::PersonJoined(_) => "PersonJoined",
            IdentityEvent::AccountsJoined(_) => "AccountsJoined",
            IdentityEvent::AccountUnlinked(_) => "AccountUnlinked",
            IdentityEvent::PersonLeft(_) => "PersonLeft",
        }
    }
}

/// The code itself never reaches the log: only its digest, keyed with a
/// secret the operator keeps, so the log does not let anyone link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCodeIssued {
    pub issued_by: Account,
    pub code_digest: String,
    pub expires_at: Timestamp,
    pub issued_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkAttemptFailed {
    pub at: Timestamp,
}

/// The code is spent; the verifier's person is on its way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRedeemed {
    pub merge_id: Uuid,
    pub from_root: Account,
    pub accounts: Vec<Account>,
    pub redeemed_at: Timestamp,
}

/// This account now belongs to `root`'s person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonJoined {
    pub root: Account,
    pub from_root: Account,
    pub merge_id: Uuid,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountsJoined {
    pub merge_id: Uuid,
    pub accounts: Vec<Account>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUnlinked {
    pub account: Account,
    pub at: Timestamp,
}

/// This account is a person of its own again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLeft {
    pub root: Account,
    pub at: Timestamp,
}
