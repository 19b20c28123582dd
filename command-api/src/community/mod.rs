//! Giveaways, polls and identity linking, as chat and the HTTP API both
//! run them: each step a command on its own stream, with the moderator or
//! the caller as actor, and what the bot should say recorded as a reply
//! every bot reads on its feed.

pub(crate) mod announce;
pub(crate) mod chat;
pub(crate) mod failure;
pub(crate) mod giveaways;
pub(crate) mod links;
pub(crate) mod polls;

use wavestack_domain::value::{Account, IdentityStreamId, OrgId};

use crate::state::AppState;

/// The person an account belongs to: the account its identity is rooted
/// at (itself when unlinked).
pub(crate) async fn person_of(state: &AppState, org: &OrgId, account: &Account) -> anyhow::Result<Account> {
    let stream = IdentityStreamId::new(org, account);
    let identity = state.bus.identity.load(stream.as_str()).await?;
    Ok(identity.root().cloned().unwrap_or_else(|| account.clone()))
}
