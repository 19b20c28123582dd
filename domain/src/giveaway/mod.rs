//! A giveaway: opened in one or more of an org's channels, entered from
//! chat with its keyword (once per person, linked accounts counting once),
//! closed, drawn with a seed committed to at open, redrawn when a winner
//! does not answer, or cancelled with every entry's price given back.
//! Aggregate id: `<org>/<giveaway id>` (`GiveawayStreamId`).

mod command;
mod decide;
pub mod draw;
mod error;
mod event;
mod state;
#[cfg(test)]
mod tests;
mod verify;

pub use command::{EnterGiveaway, GiveawayCommand, OpenGiveaway};
pub use decide::{MAX_CHANNELS, MAX_TITLE_CHARS};
pub use draw::Seed;
pub use error::GiveawayError;
pub use event::*;
pub use state::{Entry, GiveawayState, Phase, MAX_ENTRIES, MAX_LUCK, MAX_WINNERS};
pub use verify::{audit, AuditFinding, AuditReport};

crate::aggregate::cqrs_aggregate!(GiveawayState, GiveawayEvent, type = "giveaway", version = "1");
