use serde::{Deserialize, Serialize};

use super::alerts::AlertSettings;
use super::template::ResponseTemplate;
use crate::moderation::{Escalation, FilterSettings};
use crate::value::{
    Builtin, CommandName, CommandPrefix, GiveawayId, PlatformUserId, PointsPolicy, PollId, SupportPolicy, UserLevel,
};

/// A custom command as the channel keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandDefinition {
    pub name: CommandName,
    /// What the bot says; for an alias, text put before the invoker's
    /// arguments (Nightbot's `-a=`).
    pub response: ResponseTemplate,
    /// Runs that command instead, with its cooldowns and cost.
    pub alias_of: Option<CommandName>,
    pub min_level: UserLevel,
    /// Between two answers to anyone.
    pub cooldown_seconds: u32,
    /// Between two answers to the same viewer.
    pub user_cooldown_seconds: u32,
    /// Points the invoker pays for an answer.
    pub cost: u64,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuiltinConfigured {
    pub builtin: Builtin,
    pub name: CommandName,
    pub enabled: bool,
}

/// The channel joined on its platform: the bot's account there and what
/// its token may do. The token itself is never in an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformConnection {
    /// The platform's id of the channel (Twitch: the broadcaster's user id).
    pub platform_channel_id: PlatformUserId,
    /// The account the bot speaks and moderates as.
    pub bot_user_id: PlatformUserId,
    pub bot_login: String,
    /// What the token may do, as the platform granted it, sorted.
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelEvent {
    CommandAdded(CommandDefinition),
    /// The whole definition after the edit.
    CommandEdited(CommandDefinition),
    CommandDeleted {
        name: CommandName,
    },
    PointsPolicyChanged(PointsPolicy),
    PrefixChanged {
        prefix: CommandPrefix,
    },
    RegularAdded {
        user_id: PlatformUserId,
    },
    RegularRemoved {
        user_id: PlatformUserId,
    },
    BuiltinConfigured(BuiltinConfigured),
    /// One filter's whole settings after the change.
    FilterConfigured(FilterSettings),
    EscalationChanged(Escalation),
    /// A giveaway takes entries here with its keyword.
    GiveawayStarted {
        giveaway_id: GiveawayId,
        keyword: CommandName,
    },
    GiveawayEnded {
        giveaway_id: GiveawayId,
    },
    /// A poll takes `!vote` here.
    PollStarted {
        poll_id: PollId,
    },
    PollEnded {
        poll_id: PollId,
    },
    /// Connected (or connected again with other scopes or another bot
    /// account); the actor is who authorized it.
    PlatformConnected(PlatformConnection),
    /// Disconnected by the actor, or by the platform (`reason` says which).
    PlatformDisconnected {
        reason: String,
    },
    SupportPolicyChanged(SupportPolicy),
    /// One kind's alert after the change.
    AlertConfigured(AlertSettings),
}

impl ChannelEvent {
    pub fn name(&self) -> &'static str {
        match self {
            ChannelEvent::CommandAdded(_) => "CommandAdded",
            ChannelEvent::CommandEdited(_) => "CommandEdited",
            ChannelEvent::CommandDeleted { .. } => "CommandDeleted",
            ChannelEvent::PointsPolicyChanged(_) => "PointsPolicyChanged",
            ChannelEvent::PrefixChanged { .. } => "PrefixChanged",
            ChannelEvent::RegularAdded { .. } => "RegularAdded",
            ChannelEvent::RegularRemoved { .. } => "RegularRemoved",
            ChannelEvent::BuiltinConfigured(_) => "BuiltinConfigured",
            ChannelEvent::FilterConfigured(_) => "FilterConfigured",
            ChannelEvent::EscalationChanged(_) => "EscalationChanged",
            ChannelEvent::GiveawayStarted { .. } => "GiveawayStarted",
            ChannelEvent::GiveawayEnded { .. } => "GiveawayEnded",
            ChannelEvent::PollStarted { .. } => "PollStarted",
            ChannelEvent::PollEnded { .. } => "PollEnded",
            ChannelEvent::PlatformConnected(_) => "PlatformConnected",
            ChannelEvent::PlatformDisconnected { .. } => "PlatformDisconnected",
            ChannelEvent::SupportPolicyChanged(_) => "SupportPolicyChanged",
            ChannelEvent::AlertConfigured(_) => "AlertConfigured",
        }
    }
}
