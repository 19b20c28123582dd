use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::TeamEvent;
use crate::value::{
    ChannelRef, ChatPlatform, MemberRole, OverlayKeyId, OverlayLabel, PlatformUserId, Timestamp, Username,
};

/// Most members one org holds.
pub const MAX_MEMBERS: usize = 1_000;
/// Most live overlay keys one org holds.
pub const MAX_OVERLAY_KEYS: usize = 200;

/// An overlay key as the team knows it: never the key, only its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverlayKey {
    pub channel: ChannelRef,
    pub label: OverlayLabel,
    pub digest: String,
    pub issued_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamState {
    pub(crate) members: BTreeMap<Username, MemberRole>,
    #[serde(default)]
    pub(crate) overlay_keys: BTreeMap<OverlayKeyId, OverlayKey>,
    /// When each member's current membership began or their password was
    /// last set: a dashboard session opened before then is over.
    #[serde(default)]
    pub(crate) sessions_since: BTreeMap<Username, Timestamp>,
    /// Who signs in with which platform account (a few per team).
    #[serde(default)]
    pub(crate) sign_ins: Vec<SignIn>,
}

/// A member's platform account they sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub platform: ChatPlatform,
    pub user_id: PlatformUserId,
    pub username: Username,
    /// The account's login when linked.
    pub login: String,
}

impl TeamState {
    pub fn role_of(&self, username: &Username) -> Option<MemberRole> {
        self.members.get(username).copied()
    }

    /// Sessions of `username` opened before this instant are over: their
    /// membership began later (removed, then added again) or their
    /// password changed since. `None` for a member added before this was
    /// kept (their sessions stand) or for no member.
    pub fn sessions_valid_since(&self, username: &Username) -> Option<Timestamp> {
        self.sessions_since.get(username).copied()
    }

    /// The member a platform account signs in as, if it is linked.
    pub fn signs_in_as(&self, platform: ChatPlatform, user_id: &PlatformUserId) -> Option<&Username> {
        self.sign_ins.iter().find(|s| s.platform == platform && s.user_id == *user_id).map(|s| &s.username)
    }

    /// The platform account `username` signs in with.
    pub fn sign_in_of(&self, username: &Username, platform: ChatPlatform) -> Option<&SignIn> {
        self.sign_ins.iter().find(|s| s.platform == platform && s.username == *username)
    }

    pub fn members(&self) -> impl Iterator<Item = (&Username, MemberRole)> {
        self.members.iter().map(|(u, r)| (u, *r))
    }

    /// Every key ever issued, revoked ones included.
    pub fn overlay_keys(&self) -> impl Iterator<Item = (&OverlayKeyId, &OverlayKey)> {
        self.overlay_keys.iter()
    }

    /// The live key whose digest is `digest` (compared in constant time:
    /// every live key is compared, whether or not one matched before).
    pub fn live_overlay_key(&self, digest: &str) -> Option<(&OverlayKeyId, &OverlayKey)> {
        let mut found = None;
        for (id, key) in &self.overlay_keys {
            let same = key.digest.len() == digest.len()
                && key.digest.bytes().zip(digest.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
            if same && key.revoked_at.is_none() {
                found = Some((id, key));
            }
        }
        found
    }

    pub(crate) fn owners(&self) -> usize {
        self.members.values().filter(|r| **r == MemberRole::Owner).count()
    }

    pub(crate) fn evolve(&mut self, event: &TeamEvent) {
        match event {
            TeamEvent::MemberAdded(e) => {
                self.members.insert(e.username.clone(), e.role);
                self.sessions_since.insert(e.username.clone(), e.at);
            }
            TeamEvent::MemberRoleChanged(e) => {
                self.members.insert(e.username.clone(), e.role);
            }
            TeamEvent::MemberRemoved(e) => {
                self.members.remove(&e.username);
                self.sessions_since.remove(&e.username);
                self.sign_ins.retain(|s| s.username != e.username);
            }
            TeamEvent::SignInLinked(e) => {
                // One account per platform and member: a new one replaces it.
                self.sign_ins.retain(|s| !(s.platform == e.platform && s.username == e.username));
                self.sign_ins.push(SignIn {
                    platform: e.platform,
                    user_id: e.user_id.clone(),
                    username: e.username.clone(),
                    login: e.login.clone(),
                });
            }
            TeamEvent::SignInUnlinked(e) => {
                self.sign_ins.retain(|s| !(s.platform == e.platform && s.username == e.username));
            }
            TeamEvent::PasswordSet(e) => {
                self.sessions_since.insert(e.username.clone(), e.at);
            }
            TeamEvent::OverlayKeyIssued(e) => {
                self.overlay_keys.insert(
                    e.key_id,
                    OverlayKey {
                        channel: e.channel.clone(),
                        label: e.label.clone(),
                        digest: e.digest.clone(),
                        issued_at: e.at,
                        revoked_at: None,
                    },
                );
            }
            TeamEvent::OverlayKeyRevoked(e) => {
                if let Some(key) = self.overlay_keys.get_mut(&e.key_id) {
                    key.revoked_at = Some(e.at);
                }
            }
        }
    }
}
