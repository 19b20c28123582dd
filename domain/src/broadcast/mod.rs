//! A channel's broadcast: its stream going online and offline, what its
//! audience gives (follows, subs, gifts, cheers, raids, redemptions), each
//! with the points the channel's support policy pays for it, and what its
//! moderators removed from chat on the platform itself. Recorded once
//! per platform event id, however often the platform delivers it.
//! Aggregate id: `<org>/<platform>/<channel>` (`BroadcastStreamId`).

mod command;
mod decide;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{BroadcastCommand, Happening, Supporter, What};
pub use decide::{BroadcastError, MAX_MESSAGE_CHARS};
pub use event::*;
pub use state::{BroadcastState, REMEMBERED_EVENT_IDS};

crate::aggregate::cqrs_aggregate!(BroadcastState, BroadcastEvent, type = "broadcast", version = "1");
