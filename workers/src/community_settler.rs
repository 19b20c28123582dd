//! The process manager of the community features (`community-settler`, a
//! worker group on the chat, giveaway and identity topics): finishes from
//! the log what the API began, so that a process killed mid-way never
//! leaves a merge half done, an account half unlinked, or a price taken
//! for an entry that never counted. Each step is exactly once, so the
//! API's fast path and a redelivery change nothing more.
//!
//! - `CodeRedeemed` (at a root): the verifier's accounts join, and the
//!   root records them.
//! - `AccountUnlinked` (at a root): the account becomes its own person.
//! - `EntryPaid` (a viewer's stream): refunded unless the entry stands,
//!   once the process that took the price has decided the entry or can no
//!   longer (its writer lease is free).
//! - `GiveawayCancelled`: every price its entries paid goes back.

use std::sync::Arc;

use sqlx::PgPool;
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::consumer::group::{GroupConfig, Handler, HandlerError};
use wavestack_app::settlement::community::{self as community_settlement, CommunityError};
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::giveaway::GiveawayEvent;
use wavestack_domain::identity::IdentityEvent;
use wavestack_domain::value::{ChatStreamId, GiveawayStreamId, IdentityStreamId};
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use crate::settlement;

const NAME: &str = "community-settler";

#[derive(Debug, Clone)]
pub struct CommunitySettler {
    pool: PgPool,
    bus: Arc<CommandBus>,
}

impl CommunitySettler {
    pub fn new(pool: PgPool, bus: Arc<CommandBus>) -> Self {
        Self { pool, bus }
    }

    pub fn group_config() -> GroupConfig {
        GroupConfig::new(NAME, vec![AggregateKind::Chat, AggregateKind::Giveaway, AggregateKind::Identity])
    }
}

fn verdict(error: CommunityError) -> HandlerError {
    let transient = error.is_transient();
    settlement::verdict(error, transient)
}

fn malformed(envelope: &LogEnvelope, error: impl std::fmt::Display) -> HandlerError {
    HandlerError::permanent(anyhow::anyhow!("`{}` {error}", envelope.aggregate_id))
}

impl Handler for CommunitySettler {
    async fn handle(&self, envelope: LogEnvelope) -> Result<(), HandlerError> {
        let bus = &self.bus;
        match &envelope.event {
            LogEvent::Identity(IdentityEvent::CodeRedeemed(redeemed)) => {
                let root = IdentityStreamId::parse(&envelope.aggregate_id).map_err(|e| malformed(&envelope, e))?;
                let metadata = settlement::metadata(NAME, &envelope)?;
                community_settlement::finish_merge(bus, root.org(), root.account(), redeemed, &metadata)
                    .await
                    .map_err(verdict)
            }
            LogEvent::Identity(IdentityEvent::AccountUnlinked(unlinked)) => {
                let root = IdentityStreamId::parse(&envelope.aggregate_id).map_err(|e| malformed(&envelope, e))?;
                let metadata = settlement::metadata(NAME, &envelope)?;
                community_settlement::finish_unlink(
                    bus,
                    root.org(),
                    root.account(),
                    &unlinked.account,
                    unlinked.at,
                    &metadata,
                )
                .await
                .map_err(verdict)
            }
            LogEvent::Chat(ChatEvent::EntryPaid(paid)) => {
                let payer = ChatStreamId::parse(&envelope.aggregate_id).map_err(|e| malformed(&envelope, e))?;
                let at = envelope.metadata.occurred_at;
                // The process that took the price decides the entry,
                // however slowly, unless it can no longer.
                let decided = || async {
                    community_settlement::entry_decided(bus, &payer, paid.giveaway_id, &paid.message_id)
                        .await
                        .map_err(verdict)
                };
                settlement::until_the_writer_is_done(&self.pool, &envelope, decided).await?;
                let metadata = settlement::metadata(NAME, &envelope)?;
                community_settlement::settle_entry(bus, &payer, paid.giveaway_id, &paid.message_id, at, &metadata)
                    .await
                    .map_err(verdict)
            }
            LogEvent::Giveaway(GiveawayEvent::GiveawayCancelled(_)) => {
                let stream = GiveawayStreamId::parse(&envelope.aggregate_id).map_err(|e| malformed(&envelope, e))?;
                let metadata = settlement::metadata(NAME, &envelope)?;
                let giveaway =
                    bus.giveaway.load(stream.as_str()).await.map_err(|e| verdict(CommunityError::Giveaway(e)))?;
                community_settlement::refund_cancelled(bus, stream.org(), stream.id(), &giveaway, &metadata)
                    .await
                    .map(|_| ())
                    .map_err(verdict)
            }
            _ => Ok(()),
        }
    }
}
