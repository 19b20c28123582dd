//! Giveaways, polls and identity linking, as chat and the HTTP API both
//! run them: each step a command on its own stream, with the moderator or
//! the caller as actor, and what the bot should say recorded as a reply
//! every bot reads on its feed.

pub mod announce;
mod chat_verb;
mod failure;
pub mod giveaways;
pub mod links;
pub mod polls;

pub use failure::{Failure, Refusal};
