use uuid::Uuid;

use crate::value::{Account, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityCommand {
    /// At the person's root: a new code replaces an unused one.
    IssueCode { this: Account, issued_by: Account, code_digest: String, at: Timestamp },
    /// At the verifier's own account: a code that did not link.
    FailAttempt { at: Timestamp },
    /// At the root that issued the code.
    Redeem(Redeem),
    /// At each of the verifier's accounts: move to the code's person.
    Join { root: Account, from_root: Account, merge_id: Uuid, at: Timestamp },
    /// At the root: the accounts that joined.
    CompleteMerge { merge_id: Uuid, joined: Vec<Account>, at: Timestamp },
    /// At the root: an account leaves the person (the root itself leaving
    /// dissolves the person into single accounts).
    Unlink { this: Account, account: Account, at: Timestamp },
    /// At an unlinked account: it is a person of its own again.
    Leave { root: Account, at: Timestamp },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeem {
    /// The root's own account (the stream's).
    pub this: Account,
    /// The keyed digest of the code typed; compared in constant time.
    pub code_digest: String,
    /// The verifier's person, and all its accounts (root first).
    pub from_root: Account,
    pub accounts: Vec<Account>,
    pub merge_id: Uuid,
    pub at: Timestamp,
}
