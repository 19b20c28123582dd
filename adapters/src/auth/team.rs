//! The dashboard's people as tokens see them, and the steps that span the
//! team stream and the password table.
//!
//! A member acting through the dashboard gets tokens whose subject is
//! `member:<username>`; the team's rules (only owners change roles, only
//! owners and moderators touch overlay keys) are then checked against that
//! member in the aggregate. Any other subject holding `team:write` is an
//! operator's service client, which acts as the operator (`by: None`), as
//! `wavestack user add` does.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::team::{TeamCommand, TeamError};
use wavestack_domain::value::{ActorId, MemberRole, OrgId, Timestamp, Username};

use super::passwords::MemberPasswords;
use super::scope::{Scope, ScopeSet};
use crate::command_bus::{CommandBus, CommandError};

const MEMBER_PREFIX: &str = "member:";

/// The token subject of a member acting through the dashboard.
pub fn member_subject(username: &Username) -> ActorId {
    // `member:` and a username (2–32 of `[a-z0-9-_.]`) is always an actor id.
    ActorId::parse(format!("{MEMBER_PREFIX}{username}")).expect("a member subject is an actor id")
}

/// The member a subject names; `None` for service clients.
pub fn member_of(subject: &ActorId) -> Option<Username> {
    subject.as_str().strip_prefix(MEMBER_PREFIX).and_then(|name| Username::parse(name.to_owned()).ok())
}

/// What a member's session may do, by role: viewers read; moderators also
/// run the channels, clips and publications; owners also the team and the
/// event log.
pub fn role_scopes(role: MemberRole) -> ScopeSet {
    let scopes: &[Scope] = match role {
        MemberRole::Viewer => &[Scope::Read],
        MemberRole::Moderator => &[Scope::Read, Scope::ChannelsWrite, Scope::ClipsWrite, Scope::PublicationsWrite],
        MemberRole::Owner => &[
            Scope::Read,
            Scope::ChannelsWrite,
            Scope::ClipsWrite,
            Scope::PublicationsWrite,
            Scope::TeamWrite,
            Scope::AuditRead,
        ],
    };
    scopes.iter().copied().collect()
}

/// Why adding a member failed.
#[derive(Debug, thiserror::Error)]
pub enum AddMemberError {
    #[error(transparent)]
    Command(#[from] CommandError<TeamError>),
    #[error("storing the password: {0:#}")]
    Password(anyhow::Error),
}

/// Adds a member with a first password: `MemberAdded`, the argon2 hash,
/// then `PasswordSet`. The event comes first so that a refused add (the
/// name is taken, the caller is no owner) never touches anyone's password.
#[allow(clippy::too_many_arguments)]
pub async fn add_member(
    bus: &CommandBus,
    pool: &PgPool,
    org: &OrgId,
    username: &Username,
    role: MemberRole,
    password: &str,
    by: Option<Username>,
    metadata: &EventMetadata,
) -> Result<(), AddMemberError> {
    let at: Timestamp = metadata.occurred_at;
    let add = TeamCommand::Add { username: username.clone(), role, by: by.clone(), at };
    bus.team.execute(org.as_str(), add, metadata).await?;
    set_password(bus, pool, org, username, password, by, metadata).await
}

/// Sets a member's password (their own, or an owner's reset): the argon2
/// hash, then `PasswordSet`, which ends every session opened before it
/// (`TeamState::sessions_valid_since`). The team's rules are checked
/// first, so a refused reset never touches the password.
pub async fn set_password(
    bus: &CommandBus,
    pool: &PgPool,
    org: &OrgId,
    username: &Username,
    password: &str,
    by: Option<Username>,
    metadata: &EventMetadata,
) -> Result<(), AddMemberError> {
    let team = bus.team.load(org.as_str()).await?;
    team.check_password_set(username, by.as_ref()).map_err(CommandError::Rejected)?;
    MemberPasswords::new(pool.clone()).set(org, username, password).await.map_err(AddMemberError::Password)?;
    let set = TeamCommand::RecordPasswordSet { username: username.clone(), by, at: metadata.occurred_at };
    bus.team.execute(org.as_str(), set, metadata).await?;
    Ok(())
}

/// A new overlay key and the digest the team stream keeps: 256 random
/// bits, so SHA-256 alone (no salt, no key) keeps it safe at rest.
pub fn new_overlay_key() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let key = format!("ovk_{}", URL_SAFE_NO_PAD.encode(bytes));
    let digest = overlay_key_digest(&key);
    (key, digest)
}

/// The hex SHA-256 of a presented overlay key.
pub fn overlay_key_digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_clients_are_told_apart() {
        let ada = Username::parse("ada").unwrap();
        assert_eq!(member_of(&member_subject(&ada)), Some(ada));
        assert_eq!(member_of(&ActorId::parse("bot-1").unwrap()), None);
        assert_eq!(member_of(&ActorId::parse("member:Not-A-Name").unwrap()), None);
    }

    #[test]
    fn roles_grow_by_what_they_may_do() {
        let viewer = role_scopes(MemberRole::Viewer);
        assert!(viewer.contains(Scope::Read) && !viewer.contains(Scope::ChannelsWrite));
        let moderator = role_scopes(MemberRole::Moderator);
        assert!(moderator.contains(Scope::ChannelsWrite) && !moderator.contains(Scope::TeamWrite));
        let owner = role_scopes(MemberRole::Owner);
        assert!(owner.contains(Scope::TeamWrite) && owner.contains(Scope::AuditRead));
    }

    #[test]
    fn a_key_matches_only_its_own_digest() {
        let (key, digest) = new_overlay_key();
        assert_eq!(overlay_key_digest(&key), digest);
        assert_eq!(digest.len(), 64);
        let (other, _) = new_overlay_key();
        assert_ne!(overlay_key_digest(&other), digest);
    }
}
