//! One command's uses in one channel: every decision on an invocation
//! (answered, or refused with its reason), the use count and the
//! cooldowns. Aggregate id: `<org>/<platform>/<channel>/<key>`
//! (`CommandUseStreamId`), the key being the custom command's name or
//! `builtin.<name>`.
//!
//! Why a stream per command: a global cooldown must hold across API
//! processes, and two processes deciding the same command's use conflict
//! on this stream's next sequence; the loser decides again on the winner's
//! answer and refuses (`AggregateBus`' optimistic concurrency). Every reply
//! the bot makes to a command is an event here, which the bots' feed reads.

mod command;
mod decide;
mod event;
mod state;
#[cfg(test)]
mod tests;

pub use command::{AbandonUse, CommandUse, Prepared, UseCommand};
pub use decide::decision_key;
pub use event::{CommandAnswered, CommandRefused, CommandUseEvent, Invoker, RefusalReason};
pub use state::{CommandUseState, REMEMBERED_DECISIONS, REMEMBERED_VIEWERS};

/// Decisions are never refused as commands: a use that may not run is
/// recorded as refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CommandUseError(&'static str);

crate::aggregate::cqrs_aggregate!(CommandUseState, CommandUseEvent, type = "command_use", version = "1");
