use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::alerts::SupportSettings;
use super::event::{ChannelEvent, CommandDefinition, PlatformConnection};
use crate::moderation::ModerationSettings;
use crate::value::{Builtin, CommandName, CommandPrefix, GiveawayId, PlatformUserId, PointsPolicy, PollId};

/// Most custom commands (aliases included) one channel holds.
pub const MAX_COMMANDS: usize = 200;
/// Longest cooldown, global or per viewer: a day.
pub const MAX_COOLDOWN_SECONDS: u32 = 86_400;
/// Highest price of a command.
pub const MAX_COST: u64 = 1_000_000_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelState {
    pub(crate) commands: BTreeMap<CommandName, CommandDefinition>,
    pub(crate) points: PointsPolicy,
    pub(crate) prefix: CommandPrefix,
    pub(crate) regulars: BTreeSet<PlatformUserId>,
    /// Only the built-ins a channel renamed or disabled.
    pub(crate) builtins: BTreeMap<Builtin, (CommandName, bool)>,
    #[serde(default)]
    pub(crate) moderation: ModerationSettings,
    /// The giveaway taking entries here, and its keyword.
    #[serde(default)]
    pub(crate) giveaway: Option<(GiveawayId, CommandName)>,
    #[serde(default)]
    pub(crate) poll: Option<PollId>,
    /// The channel's connection on its platform, if it is connected.
    #[serde(default)]
    pub(crate) connection: Option<PlatformConnection>,
    /// What support pays and how its alerts read.
    #[serde(default)]
    pub(crate) support: SupportSettings,
    /// How many changes made these settings: recorded on every chat
    /// decision taken under them.
    pub(crate) version: u64,
}

impl ChannelState {
    pub fn commands(&self) -> impl Iterator<Item = &CommandDefinition> {
        self.commands.values()
    }

    pub fn command(&self, name: &CommandName) -> Option<&CommandDefinition> {
        self.commands.get(name)
    }

    pub fn points(&self) -> &PointsPolicy {
        &self.points
    }

    /// What support pays and how its alerts read.
    pub fn support(&self) -> &SupportSettings {
        &self.support
    }

    /// The channel's connection on its platform, if it is connected.
    pub fn connection(&self) -> Option<&PlatformConnection> {
        self.connection.as_ref()
    }

    pub fn prefix(&self) -> &CommandPrefix {
        &self.prefix
    }

    pub fn is_regular(&self, user: &PlatformUserId) -> bool {
        self.regulars.contains(user)
    }

    pub fn regulars(&self) -> impl Iterator<Item = &PlatformUserId> {
        self.regulars.iter()
    }

    /// The filters and the escalation ladder.
    pub fn moderation(&self) -> &ModerationSettings {
        &self.moderation
    }

    /// The giveaway taking entries here, with its keyword.
    pub fn giveaway(&self) -> Option<&(GiveawayId, CommandName)> {
        self.giveaway.as_ref()
    }

    pub fn poll(&self) -> Option<PollId> {
        self.poll
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// A built-in's current name and whether it answers.
    pub fn builtin(&self, builtin: Builtin) -> (CommandName, bool) {
        self.builtins.get(&builtin).cloned().unwrap_or_else(|| (builtin.default_name(), true))
    }

    /// The enabled built-in that answers to `name`, if any. `join` answers
    /// only to the running giveaway's keyword (`resolve`).
    pub fn builtin_named(&self, name: &CommandName) -> Option<Builtin> {
        Builtin::ALL.iter().copied().filter(|b| *b != Builtin::Join).find(|b| {
            let (current, enabled) = self.builtin(*b);
            enabled && current == *name
        })
    }

    /// The aliases that point at `name`.
    pub fn aliases_of<'a>(&'a self, name: &'a CommandName) -> impl Iterator<Item = &'a CommandName> + 'a {
        self.commands.values().filter(move |c| c.alias_of.as_ref() == Some(name)).map(|c| &c.name)
    }

    pub(crate) fn evolve(&mut self, event: &ChannelEvent) {
        self.version += 1;
        match event {
            ChannelEvent::CommandAdded(definition) | ChannelEvent::CommandEdited(definition) => {
                self.commands.insert(definition.name.clone(), definition.clone());
            }
            ChannelEvent::CommandDeleted { name } => {
                self.commands.remove(name);
            }
            ChannelEvent::PointsPolicyChanged(policy) => self.points = *policy,
            ChannelEvent::PrefixChanged { prefix } => self.prefix = prefix.clone(),
            ChannelEvent::RegularAdded { user_id } => {
                self.regulars.insert(user_id.clone());
            }
            ChannelEvent::RegularRemoved { user_id } => {
                self.regulars.remove(user_id);
            }
            ChannelEvent::BuiltinConfigured(c) => {
                if c.name == c.builtin.default_name() && c.enabled {
                    self.builtins.remove(&c.builtin);
                } else {
                    self.builtins.insert(c.builtin, (c.name.clone(), c.enabled));
                }
            }
            ChannelEvent::FilterConfigured(filter) => {
                self.moderation.filters.insert(filter.kind(), filter.clone());
            }
            ChannelEvent::EscalationChanged(escalation) => self.moderation.escalation = escalation.clone(),
            ChannelEvent::GiveawayStarted { giveaway_id, keyword } => {
                self.giveaway = Some((*giveaway_id, keyword.clone()))
            }
            ChannelEvent::GiveawayEnded { .. } => self.giveaway = None,
            ChannelEvent::PollStarted { poll_id } => self.poll = Some(*poll_id),
            ChannelEvent::PollEnded { .. } => self.poll = None,
            ChannelEvent::PlatformConnected(connection) => self.connection = Some(connection.clone()),
            ChannelEvent::PlatformDisconnected { .. } => self.connection = None,
            ChannelEvent::SupportPolicyChanged(policy) => self.support.policy = *policy,
            ChannelEvent::AlertConfigured(alert) => {
                self.support.alerts.insert(alert.kind, alert.clone());
            }
        }
    }
}
