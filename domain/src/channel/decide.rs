use super::command::ChannelCommand;
use super::error::ChannelError;
use super::event::{BuiltinConfigured, ChannelEvent, CommandDefinition, PlatformConnection};
use super::state::{ChannelState, MAX_COMMANDS, MAX_COOLDOWN_SECONDS, MAX_COST};
use crate::aggregate::Decider;
use crate::value::{Builtin, CommandName, PointsPolicy, SupportPolicy};

impl Decider for ChannelState {
    type Command = ChannelCommand;
    type Event = ChannelEvent;
    type Error = ChannelError;
    type Policy = ();

    fn decide(&self, command: ChannelCommand, _: &()) -> Result<Vec<ChannelEvent>, ChannelError> {
        match command {
            ChannelCommand::AddCommand(definition) => {
                if self.commands.contains_key(&definition.name) {
                    return Err(ChannelError::CommandExists(definition.name));
                }
                if self.builtin_named(&definition.name).is_some() {
                    return Err(ChannelError::NameTaken(definition.name));
                }
                if self.commands.len() >= MAX_COMMANDS {
                    return Err(ChannelError::TooManyCommands { max: MAX_COMMANDS });
                }
                self.check(&definition)?;
                Ok(vec![ChannelEvent::CommandAdded(definition)])
            }
            ChannelCommand::EditCommand(edit) => {
                let current =
                    self.commands.get(&edit.name).ok_or_else(|| ChannelError::UnknownCommand(edit.name.clone()))?;
                let edited = edit.apply_to(current);
                if edited == *current {
                    return Ok(vec![]);
                }
                self.check(&edited)?;
                Ok(vec![ChannelEvent::CommandEdited(edited)])
            }
            ChannelCommand::DeleteCommand { name } => {
                if !self.commands.contains_key(&name) {
                    return Err(ChannelError::UnknownCommand(name));
                }
                let alias = self.aliases_of(&name).next().cloned();
                if let Some(alias) = alias {
                    return Err(ChannelError::AliasedBy { alias, name });
                }
                Ok(vec![ChannelEvent::CommandDeleted { name }])
            }
            ChannelCommand::SetPointsPolicy(policy) => {
                if let Some((field, _)) = policy.out_of_range() {
                    let max = match field {
                        "cooldown_seconds" => u64::from(PointsPolicy::MAX_COOLDOWN_SECONDS),
                        "subscriber_percent" => u64::from(PointsPolicy::MAX_SUBSCRIBER_PERCENT),
                        _ => PointsPolicy::MAX_POINTS,
                    };
                    return Err(ChannelError::OutOfRange { field, max });
                }
                Ok(if policy == self.points { vec![] } else { vec![ChannelEvent::PointsPolicyChanged(policy)] })
            }
            ChannelCommand::SetSupportPolicy(policy) => {
                if let Some((field, _)) = policy.out_of_range() {
                    return Err(ChannelError::OutOfRange { field, max: SupportPolicy::MAX_RATE });
                }
                let unchanged = policy == self.support.policy;
                Ok(if unchanged { vec![] } else { vec![ChannelEvent::SupportPolicyChanged(policy)] })
            }
            ChannelCommand::ConfigureAlert(alert) => {
                let alert = alert.checked().map_err(ChannelError::InvalidAlertTemplate)?;
                let unchanged = self.support.alert(alert.kind) == alert;
                Ok(if unchanged { vec![] } else { vec![ChannelEvent::AlertConfigured(alert)] })
            }
            ChannelCommand::SetPrefix(prefix) => {
                Ok(if prefix == self.prefix { vec![] } else { vec![ChannelEvent::PrefixChanged { prefix }] })
            }
            ChannelCommand::AddRegular { user_id } => {
                Ok(if self.regulars.contains(&user_id) { vec![] } else { vec![ChannelEvent::RegularAdded { user_id }] })
            }
            ChannelCommand::RemoveRegular { user_id } => Ok(if self.regulars.contains(&user_id) {
                vec![ChannelEvent::RegularRemoved { user_id }]
            } else {
                vec![]
            }),
            ChannelCommand::ConfigureBuiltin { builtin, name, enabled } => {
                if self.builtin(builtin) == (name.clone(), enabled) {
                    return Ok(vec![]);
                }
                let other_builtin = Builtin::ALL.iter().any(|b| *b != builtin && self.builtin(*b).0 == name);
                if enabled && (other_builtin || self.commands.contains_key(&name)) {
                    return Err(ChannelError::NameTaken(name));
                }
                Ok(vec![ChannelEvent::BuiltinConfigured(BuiltinConfigured { builtin, name, enabled })])
            }
            ChannelCommand::SetFilter(filter) => {
                let filter = filter.checked()?;
                let unchanged = self.moderation.filter(filter.kind()) == filter;
                Ok(if unchanged { vec![] } else { vec![ChannelEvent::FilterConfigured(filter)] })
            }
            ChannelCommand::SetEscalation(escalation) => {
                let escalation = escalation.checked()?;
                let unchanged = *self.moderation.escalation() == escalation;
                Ok(if unchanged { vec![] } else { vec![ChannelEvent::EscalationChanged(escalation)] })
            }
            ChannelCommand::StartGiveaway { giveaway_id, keyword } => match &self.giveaway {
                Some((running, _)) if *running == giveaway_id => Ok(vec![]),
                Some(_) => Err(ChannelError::GiveawayRunning),
                None if self.builtin_named(&keyword).is_some() || self.commands.contains_key(&keyword) => {
                    Err(ChannelError::KeywordTaken(keyword))
                }
                None => Ok(vec![ChannelEvent::GiveawayStarted { giveaway_id, keyword }]),
            },
            ChannelCommand::EndGiveaway { giveaway_id } => {
                let running = self.giveaway.as_ref().is_some_and(|(id, _)| *id == giveaway_id);
                Ok(if running { vec![ChannelEvent::GiveawayEnded { giveaway_id }] } else { vec![] })
            }
            ChannelCommand::StartPoll { poll_id } => match self.poll {
                Some(running) if running == poll_id => Ok(vec![]),
                Some(_) => Err(ChannelError::PollRunning),
                None => Ok(vec![ChannelEvent::PollStarted { poll_id }]),
            },
            ChannelCommand::EndPoll { poll_id } => {
                Ok(if self.poll == Some(poll_id) { vec![ChannelEvent::PollEnded { poll_id }] } else { vec![] })
            }
            ChannelCommand::ConnectPlatform(mut connection) => {
                check_connection(&mut connection)?;
                Ok(if self.connection.as_ref() == Some(&connection) {
                    vec![]
                } else {
                    vec![ChannelEvent::PlatformConnected(connection)]
                })
            }
            ChannelCommand::DisconnectPlatform { reason } => {
                if reason.trim().is_empty() || reason.chars().count() > MAX_REASON_CHARS {
                    return Err(ChannelError::OutOfRange { field: "reason", max: MAX_REASON_CHARS as u64 });
                }
                Ok(if self.connection.is_some() { vec![ChannelEvent::PlatformDisconnected { reason }] } else { vec![] })
            }
        }
    }

    fn evolve(&mut self, event: &ChannelEvent) {
        ChannelState::evolve(self, event);
    }
}

/// Longest reason a disconnection records.
const MAX_REASON_CHARS: usize = 200;
/// Most scopes a connection records, and the longest one.
const MAX_SCOPES: usize = 64;
const MAX_SCOPE_CHARS: usize = 100;

/// A connection's scopes are the platform's names (`user:write:chat`),
/// recorded sorted and once each.
fn check_connection(connection: &mut PlatformConnection) -> Result<(), ChannelError> {
    let scope_ok = |s: &String| {
        !s.is_empty()
            && s.len() <= MAX_SCOPE_CHARS
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b':' | b'_' | b'.' | b'-'))
    };
    if connection.scopes.len() > MAX_SCOPES || !connection.scopes.iter().all(scope_ok) {
        return Err(ChannelError::InvalidScopes);
    }
    let login = &connection.bot_login;
    if login.is_empty() || login.len() > 64 || !login.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ChannelError::InvalidLogin);
    }
    connection.scopes.sort();
    connection.scopes.dedup();
    Ok(())
}

impl ChannelState {
    /// What every added or edited definition must satisfy.
    fn check(&self, definition: &CommandDefinition) -> Result<(), ChannelError> {
        for (field, value) in [
            ("cooldown_seconds", definition.cooldown_seconds),
            ("user_cooldown_seconds", definition.user_cooldown_seconds),
        ] {
            if value > MAX_COOLDOWN_SECONDS {
                return Err(ChannelError::OutOfRange { field, max: u64::from(MAX_COOLDOWN_SECONDS) });
            }
        }
        if definition.cost > MAX_COST {
            return Err(ChannelError::OutOfRange { field: "cost", max: MAX_COST });
        }
        match &definition.alias_of {
            None if definition.response.is_empty() => Err(ChannelError::EmptyResponse),
            None => Ok(()),
            Some(_) if definition.response.shows_count_or_points() => Err(ChannelError::AliasShowsCountOrPoints),
            Some(target) => self.check_alias(&definition.name, target),
        }
    }

    /// An alias must reach a command of its own by following aliases, never
    /// come back to itself.
    fn check_alias(&self, name: &CommandName, target: &CommandName) -> Result<(), ChannelError> {
        let mut path = vec![name.clone()];
        let mut next = target.clone();
        loop {
            if path.contains(&next) {
                path.push(next);
                return Err(ChannelError::AliasLoop(path));
            }
            let Some(definition) = self.commands.get(&next) else {
                return Err(ChannelError::AliasTargetMissing { name: name.clone(), target: target.clone() });
            };
            path.push(next);
            match &definition.alias_of {
                Some(further) => next = further.clone(),
                None => return Ok(()),
            }
        }
    }
}
