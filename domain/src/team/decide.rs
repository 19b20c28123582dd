use super::command::TeamCommand;
use super::error::TeamError;
use super::event::*;
use super::state::{TeamState, MAX_MEMBERS, MAX_OVERLAY_KEYS};
use crate::aggregate::Decider;
use crate::value::{MemberRole, Username};

impl Decider for TeamState {
    type Command = TeamCommand;
    type Event = TeamEvent;
    type Error = TeamError;
    type Policy = ();

    fn decide(&self, command: TeamCommand, _: &()) -> Result<Vec<TeamEvent>, TeamError> {
        match command {
            TeamCommand::Add { username, role, by, at } => {
                self.owner_or_operator(by.as_ref())?;
                if self.members.contains_key(&username) {
                    return Err(TeamError::Exists(username));
                }
                if self.members.len() >= MAX_MEMBERS {
                    return Err(TeamError::Full { max: MAX_MEMBERS });
                }
                Ok(vec![TeamEvent::MemberAdded(MemberAdded { username, role, at })])
            }
            TeamCommand::ChangeRole { username, role, by, at } => {
                self.owner_or_operator(by.as_ref())?;
                let previous = self.role_of(&username).ok_or_else(|| TeamError::Unknown(username.clone()))?;
                if previous == role {
                    return Ok(vec![]);
                }
                if previous == MemberRole::Owner && self.owners() == 1 {
                    return Err(TeamError::LastOwner);
                }
                Ok(vec![TeamEvent::MemberRoleChanged(MemberRoleChanged { username, role, previous, at })])
            }
            TeamCommand::Remove { username, by, at } => {
                self.owner_or_operator(by.as_ref())?;
                let role = self.role_of(&username).ok_or_else(|| TeamError::Unknown(username.clone()))?;
                if role == MemberRole::Owner && self.owners() == 1 {
                    return Err(TeamError::LastOwner);
                }
                Ok(vec![TeamEvent::MemberRemoved(MemberRemoved { username, at })])
            }
            TeamCommand::RecordPasswordSet { username, by, at } => {
                self.check_password_set(&username, by.as_ref())?;
                Ok(vec![TeamEvent::PasswordSet(PasswordSet { username, at })])
            }
            TeamCommand::IssueOverlayKey { key_id, channel, label, digest, by, at } => {
                self.moderator_or_operator(by.as_ref())?;
                if digest.len() != 64 || !digest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(TeamError::InvalidDigest);
                }
                // The same id again is a retry of the same issue.
                if self.overlay_keys.contains_key(&key_id) {
                    return Ok(vec![]);
                }
                let live = self.overlay_keys.values().filter(|k| k.revoked_at.is_none()).count();
                if live >= MAX_OVERLAY_KEYS {
                    return Err(TeamError::TooManyOverlayKeys { max: MAX_OVERLAY_KEYS });
                }
                Ok(vec![TeamEvent::OverlayKeyIssued(OverlayKeyIssued { key_id, channel, label, digest, at })])
            }
            TeamCommand::LinkSignIn { username, platform, user_id, login, by, at } => {
                if self.role_of(&username).is_none() {
                    return Err(TeamError::Unknown(username));
                }
                if by != username {
                    return Err(TeamError::NotSelf);
                }
                if login.is_empty() || login.len() > 64 {
                    return Err(TeamError::InvalidLogin);
                }
                match self.signs_in_as(platform, &user_id) {
                    Some(other) if *other != username => return Err(TeamError::AccountTaken),
                    Some(_) if self.sign_in_of(&username, platform).is_some_and(|s| s.login == login) => {
                        return Ok(vec![])
                    }
                    _ => {}
                }
                Ok(vec![TeamEvent::SignInLinked(SignInLinked { username, platform, user_id, login, at })])
            }
            TeamCommand::UnlinkSignIn { username, platform, by, at } => {
                if by.as_ref() != Some(&username) {
                    self.owner_or_operator(by.as_ref())?;
                }
                if self.sign_in_of(&username, platform).is_none() {
                    return Ok(vec![]);
                }
                Ok(vec![TeamEvent::SignInUnlinked(SignInUnlinked { username, platform, at })])
            }
            TeamCommand::RevokeOverlayKey { key_id, by, at } => {
                self.moderator_or_operator(by.as_ref())?;
                let key = self.overlay_keys.get(&key_id).ok_or(TeamError::UnknownOverlayKey(key_id))?;
                if key.revoked_at.is_some() {
                    return Ok(vec![]);
                }
                Ok(vec![TeamEvent::OverlayKeyRevoked(OverlayKeyRevoked { key_id, at })])
            }
        }
    }

    fn evolve(&mut self, event: &TeamEvent) {
        TeamState::evolve(self, event);
    }
}

impl TeamState {
    /// The operator (no member: the CLI) or an owner; a moderator never
    /// changes who may do what.
    /// Whether `by` may set `username`'s password: their own, or an owner's
    /// (or the operator's) reset. Checked before the password is stored.
    pub fn check_password_set(&self, username: &Username, by: Option<&Username>) -> Result<(), TeamError> {
        if self.role_of(username).is_none() {
            return Err(TeamError::Unknown(username.clone()));
        }
        if by != Some(username) {
            self.owner_or_operator(by)?;
        }
        Ok(())
    }

    fn owner_or_operator(&self, by: Option<&Username>) -> Result<(), TeamError> {
        self.operator_or_at_least(by, MemberRole::Owner).then_some(()).ok_or(TeamError::NotOwner)
    }

    /// Overlays are part of running a stream: owners and moderators.
    fn moderator_or_operator(&self, by: Option<&Username>) -> Result<(), TeamError> {
        self.operator_or_at_least(by, MemberRole::Moderator).then_some(()).ok_or(TeamError::NotModerator)
    }

    /// The operator (no member), or a member whose role reaches `least`.
    fn operator_or_at_least(&self, by: Option<&Username>, least: MemberRole) -> bool {
        by.is_none_or(|member| self.role_of(member).is_some_and(|role| role.at_least(least)))
    }
}
