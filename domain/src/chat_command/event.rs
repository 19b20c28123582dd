use serde::{Deserialize, Serialize};

use crate::value::{ChannelId, ChatPlatform, CommandName, DisplayName, MessageId, PlatformUserId, Timestamp};

crate::value::closed_enum!(
    /// Why an invocation got no answer.
    RefusalReason {
        Level => "level",
        Cooldown => "cooldown",
        UserCooldown => "user_cooldown",
        Cost => "cost",
        Invalid => "invalid",
        Interrupted => "interrupted",
    }
);

/// Who invoked, where, with which message: what every decision repeats so
/// that a consumer needs no other stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoker {
    pub message_id: MessageId,
    pub platform: ChatPlatform,
    pub channel: ChannelId,
    pub user_id: PlatformUserId,
    pub author: DisplayName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandAnswered {
    pub invoker: Invoker,
    /// As invoked (an alias's own name).
    pub command: CommandName,
    /// What the bot says, already cut to the platform's length.
    pub reply: String,
    /// Uses answered so far, this one included.
    pub count: u64,
    /// Points the invoker paid.
    pub cost: u64,
    /// The channel settings' version the decision read.
    pub settings_version: u64,
    pub answered_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRefused {
    pub invoker: Invoker,
    pub command: CommandName,
    pub reason: RefusalReason,
    /// For people reading the log: the level asked for, the seconds left.
    pub detail: String,
    /// What the bot says about it, if anything (a level or cooldown
    /// refusal is silent, as on Nightbot).
    pub reply: Option<String>,
    pub settings_version: u64,
    pub refused_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandUseEvent {
    CommandAnswered(CommandAnswered),
    CommandRefused(CommandRefused),
}

impl CommandUseEvent {
    pub fn name(&self) -> &'static str {
        match self {
            CommandUseEvent::CommandAnswered(_) => "CommandAnswered",
            CommandUseEvent::CommandRefused(_) => "CommandRefused",
        }
    }

    pub fn invoker(&self) -> &Invoker {
        match self {
            CommandUseEvent::CommandAnswered(e) => &e.invoker,
            CommandUseEvent::CommandRefused(e) => &e.invoker,
        }
    }

    /// What the bot says, if anything.
    pub fn reply(&self) -> Option<&str> {
        match self {
            CommandUseEvent::CommandAnswered(e) => Some(&e.reply),
            CommandUseEvent::CommandRefused(e) => e.reply.as_deref(),
        }
    }
}
