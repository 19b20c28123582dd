//! The application layer: the bot's use cases, called by the command API,
//! the workers and the chat gateways alike, so that none of them holds a
//! rule of its own.
//!
//! - [`chat::hear`]: a chat message recorded, moderated, paid for and
//!   answered; the replies, the moderation actions and the whispers that
//!   come of it.
//! - [`builtins`]: the commands every channel has, one file each behind
//!   one signature.
//! - [`broadcast`]: a channel's stream online and offline, and what its
//!   audience gives (follows, subs, cheers, raids), paid in points.
//! - [`moderation`]: a moderator's own action on a viewer.
//! - [`community`]: giveaways, polls and identity links.
//! - [`connections`]: a channel connected to its platform, and disconnected.
//! - [`sign_in`]: the platform accounts members sign in with.
//! - [`settlement`]: the second halves of the economy, run at once by the
//!   use cases and again from the log by the settlers.
//!
//! Nothing here knows HTTP: a refusal says what kind it is
//! ([`community::Refusal`]), and each edge maps it to its own answer.

pub mod broadcast;
pub mod builtins;
pub mod chat;
pub mod community;
pub mod connections;
pub mod deliveries;
mod lookup;
pub mod moderation;
pub mod settlement;
pub mod sign_in;

use std::sync::Arc;

use sqlx::PgPool;
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::community_secrets::{GiveawaySeeds, LinkCodes};
use wavestack_domain::value::{Account, IdentityStreamId, OrgId};

use crate::chat::RulesCache;

/// What the use cases run against: the command bus, the read models they
/// consult, the compiled filters and the community's secrets. Cheap to
/// clone; every clone shares the same caches.
#[derive(Debug, Clone)]
pub struct App {
    bus: Arc<CommandBus>,
    pool: PgPool,
    moderation_rules: Arc<RulesCache>,
    seeds: GiveawaySeeds,
    link_codes: LinkCodes,
    deliveries: deliveries::Deliveries,
}

impl App {
    pub fn new(pool: PgPool, bus: Arc<CommandBus>) -> Self {
        Self {
            seeds: GiveawaySeeds::new(pool.clone()),
            link_codes: LinkCodes::new(pool.clone()),
            moderation_rules: Arc::new(RulesCache::default()),
            deliveries: deliveries::Deliveries::new(bus.clone()),
            pool,
            bus,
        }
    }

    /// The process's recorder of what the gateways carry out.
    pub fn deliveries(&self) -> &deliveries::Deliveries {
        &self.deliveries
    }

    /// The person an account belongs to: the account its identity is
    /// rooted at (itself when unlinked).
    pub async fn person_of(&self, org: &OrgId, account: &Account) -> anyhow::Result<Account> {
        let stream = IdentityStreamId::new(org, account);
        let identity = self.bus.identity.load(stream.as_str()).await?;
        Ok(identity.root().cloned().unwrap_or_else(|| account.clone()))
    }
}
