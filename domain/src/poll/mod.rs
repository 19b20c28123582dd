//! A poll: 2 to 10 options, a duration, one vote per person (linked
//! accounts counting once), changeable if the poll allows it; closed at
//! its end, early, or cancelled. Aggregate id: `<org>/<poll id>`
//! (`PollStreamId`).

mod command;
mod decide;
mod error;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{CastVote, OpenPoll, PollCommand};
pub use decide::{
    MAX_DURATION_SECONDS, MAX_OPTIONS, MAX_OPTION_CHARS, MAX_QUESTION_CHARS, MIN_DURATION_SECONDS, MIN_OPTIONS,
};
pub use error::PollError;
pub use event::*;
pub use state::{PollPhase, PollState};

crate::aggregate::cqrs_aggregate!(PollState, PollEvent, type = "poll", version = "1");
