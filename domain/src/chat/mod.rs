//! A viewer in a channel: their messages, points and command invocations.
//! Aggregate id: `<org>/<platform>/<channel>/<user>` (see `Viewer::stream_id`).

mod command;
mod decide;
mod error;
mod event;
mod invocation;
mod state;
#[cfg(test)]
mod tests;

/// The channel's points policy, now a value of the channel's settings.
pub use crate::value::PointsPolicy;
pub use command::{
    ChatCommand, ModerateViewer, PointsRequest, ReceiveChatMessage, ReceivePoints, RewardSupport, Viewer,
};
pub use decide::{default_seconds, transfer_id};
pub use error::ChatError;
pub use event::*;
pub use invocation::{parse_invocation, parse_invocation_with, Invocation};
pub use state::{ChatState, REMEMBERED_MESSAGE_IDS, REMEMBERED_POINT_MOVES};

crate::aggregate::cqrs_aggregate!(ChatState, ChatEvent, type = "chat", version = "1");
