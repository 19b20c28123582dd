//! Identity linking: one person's accounts across platforms. Each account
//! has a stream (`<org>/<platform>:<user>`, `IdentityStreamId`) that says
//! which person it belongs to; a person is rooted at one account, whose
//! stream also holds the person's other accounts and the link code it
//! issued.
//!
//! Linking: `!link` on one platform issues a code at the person's root;
//! `!verify CODE` on another redeems it (`CodeRedeemed`, naming the
//! verifier's whole person), each of the verifier's accounts then joins the
//! root (`PersonJoined`), and the root records them (`AccountsJoined`).
//! The API runs the three steps at once and the identity settler repeats
//! them from the log, so a process killed mid-merge finishes it: every
//! account belongs to exactly one person at every moment, and a person's
//! points (the sum of their accounts') are never lost or counted twice.

mod command;
mod decide;
mod error;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{IdentityCommand, Redeem};
pub use decide::{ATTEMPT_WINDOW_SECONDS, CODE_LIFETIME_SECONDS, MAX_FAILED_ATTEMPTS};
pub use error::IdentityError;
pub use event::*;
pub use state::{IdentityState, PendingCode};

crate::aggregate::cqrs_aggregate!(IdentityState, IdentityEvent, type = "identity", version = "1");
