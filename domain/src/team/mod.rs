//! An org's people who log in to the dashboard, and their roles (owner,
//! moderator, viewer). One stream per org (`<org>`): the rules span
//! members (usernames are unique, an org keeps at least one owner), and
//! changes are rare. Passwords are not here: only that one was set
//! (`PasswordSet`); the argon2 hash lives in a table of its own, never on
//! the log.

mod command;
mod decide;
mod error;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::TeamCommand;
pub use error::TeamError;
pub use event::*;
pub use state::{OverlayKey, SignIn, TeamState, MAX_MEMBERS, MAX_OVERLAY_KEYS};

crate::aggregate::cqrs_aggregate!(TeamState, TeamEvent, type = "team", version = "1");
