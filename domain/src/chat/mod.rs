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

pub use command::{ChatCommand, ReceiveChatMessage, Viewer};
pub use error::ChatError;
pub use event::{ChatCommandInvoked, ChatEvent, ChatMessageReceived, PointsAwarded};
pub use invocation::{parse_invocation, Invocation};
pub use state::{ChatState, PointsPolicy, REMEMBERED_MESSAGE_IDS};

crate::aggregate::cqrs_aggregate!(ChatState, ChatEvent, type = "chat", version = "1");
