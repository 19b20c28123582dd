use super::alerts::AlertSettings;
use super::event::{CommandDefinition, PlatformConnection};
use super::template::ResponseTemplate;
use crate::moderation::{Escalation, FilterSettings};
use crate::value::{
    Builtin, CommandName, CommandPrefix, GiveawayId, PlatformUserId, PointsPolicy, PollId, SupportPolicy, UserLevel,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelCommand {
    AddCommand(CommandDefinition),
    EditCommand(CommandEdit),
    DeleteCommand {
        name: CommandName,
    },
    SetPointsPolicy(PointsPolicy),
    SetPrefix(CommandPrefix),
    /// What follows, subs, bits and raids pay in points.
    SetSupportPolicy(SupportPolicy),
    /// One kind's alert on the alerts overlay.
    ConfigureAlert(AlertSettings),
    AddRegular {
        user_id: PlatformUserId,
    },
    RemoveRegular {
        user_id: PlatformUserId,
    },
    ConfigureBuiltin {
        builtin: Builtin,
        name: CommandName,
        enabled: bool,
    },
    /// Replaces one filter's settings (its kind is the rule's).
    SetFilter(FilterSettings),
    SetEscalation(Escalation),
    /// Refused while another giveaway runs here: the caller ends a
    /// finished one first.
    StartGiveaway {
        giveaway_id: GiveawayId,
        keyword: CommandName,
    },
    /// Changes nothing unless that giveaway is the one running.
    EndGiveaway {
        giveaway_id: GiveawayId,
    },
    StartPoll {
        poll_id: PollId,
    },
    EndPoll {
        poll_id: PollId,
    },
    /// The same connection again changes nothing.
    ConnectPlatform(PlatformConnection),
    /// Changes nothing unless the channel is connected.
    DisconnectPlatform {
        reason: String,
    },
}

/// The fields an edit changes; `None` keeps the current value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandEdit {
    pub name: CommandName,
    pub response: Option<ResponseTemplate>,
    /// `Some(None)` makes an alias a command of its own again.
    pub alias_of: Option<Option<CommandName>>,
    pub min_level: Option<UserLevel>,
    pub cooldown_seconds: Option<u32>,
    pub user_cooldown_seconds: Option<u32>,
    pub cost: Option<u64>,
    pub enabled: Option<bool>,
}

impl CommandEdit {
    /// An edit that changes nothing yet.
    pub fn of(name: CommandName) -> Self {
        Self {
            name,
            response: None,
            alias_of: None,
            min_level: None,
            cooldown_seconds: None,
            user_cooldown_seconds: None,
            cost: None,
            enabled: None,
        }
    }

    pub fn apply_to(&self, current: &CommandDefinition) -> CommandDefinition {
        CommandDefinition {
            name: current.name.clone(),
            response: self.response.clone().unwrap_or_else(|| current.response.clone()),
            alias_of: self.alias_of.clone().unwrap_or_else(|| current.alias_of.clone()),
            min_level: self.min_level.unwrap_or(current.min_level),
            cooldown_seconds: self.cooldown_seconds.unwrap_or(current.cooldown_seconds),
            user_cooldown_seconds: self.user_cooldown_seconds.unwrap_or(current.user_cooldown_seconds),
            cost: self.cost.unwrap_or(current.cost),
            enabled: self.enabled.unwrap_or(current.enabled),
        }
    }
}
