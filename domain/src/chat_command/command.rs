use super::event::{Invoker, RefusalReason};
use crate::channel::ResponseTemplate;
use crate::value::{CommandName, Timestamp, UserLevel};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandUse {
    Decide(UseCommand),
    /// A process manager settling a use whose decision never came (the API
    /// died after taking the points): refused as interrupted, unless it was
    /// decided meanwhile.
    Abandon(AbandonUse),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseCommand {
    pub invoker: Invoker,
    pub command: CommandName,
    pub level: UserLevel,
    pub settings_version: u64,
    /// The message's platform time: cooldowns run on it.
    pub at: Timestamp,
    pub prepared: Prepared,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// A custom command: level, cooldowns, count and text decided here.
    Render {
        template: ResponseTemplate,
        args: String,
        min_level: UserLevel,
        cooldown_seconds: u32,
        user_cooldown_seconds: u32,
        /// The invoker's balance, for `$(points)`.
        points: u64,
        /// Already taken from the invoker (refunded if this refuses).
        cost: u64,
        /// When the stream went live, for `$(uptime)`; none while offline
        /// (and when the template does not show it).
        live_since: Option<Timestamp>,
    },
    /// A built-in, whose outcome the viewer's stream decided: recorded.
    Answer { reply: String },
    /// Refused before reaching here (bad arguments, not enough points).
    Refuse { reason: RefusalReason, detail: String, reply: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbandonUse {
    pub invoker: Invoker,
    pub command: CommandName,
    pub at: Timestamp,
}
