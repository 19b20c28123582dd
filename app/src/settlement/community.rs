//! The second halves of the community features, run by the API at once
//! (the fast path) and again by the `community-settler` process manager
//! from the log, which finishes what a killed process left. Every step is
//! exactly once, so running one twice is harmless.
//!
//! - A merge (`CodeRedeemed` at the code's root) moves each of the
//!   verifier's accounts (`PersonJoined`), then the root records those
//!   that moved (`AccountsJoined`).
//! - An unlinked account (`AccountUnlinked` at its root) becomes a person
//!   of its own (`PersonLeft`).
//! - A giveaway entry's price (`EntryPaid`) stays spent only if the entry
//!   made it and the giveaway was not cancelled; a cancelled giveaway
//!   gives every price back.

use wavestack_domain::chat::{ChatCommand, ChatError};
use wavestack_domain::giveaway::{GiveawayCommand, GiveawayError, GiveawayState, Phase};
use wavestack_domain::identity::{CodeRedeemed, IdentityCommand, IdentityError};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{
    Account, ChatStreamId, GiveawayId, GiveawayStreamId, IdentityStreamId, MessageId, OrgId, Timestamp,
};

use wavestack_adapters::command_bus::{CommandBus, CommandError};

/// Moves the verifier's accounts to the code's person and completes the
/// merge at the root.
pub async fn finish_merge(
    bus: &CommandBus,
    org: &OrgId,
    root: &Account,
    redeemed: &CodeRedeemed,
    metadata: &EventMetadata,
) -> Result<(), CommunityError> {
    let mut joined = Vec::new();
    for account in &redeemed.accounts {
        let stream = IdentityStreamId::new(org, account);
        let join = IdentityCommand::Join {
            root: root.clone(),
            from_root: redeemed.from_root.clone(),
            merge_id: redeemed.merge_id,
            at: redeemed.redeemed_at,
        };
        bus.identity.execute(stream.as_str(), join, metadata).await.map_err(CommunityError::Identity)?;
        let state = bus.identity.load(stream.as_str()).await.map_err(CommunityError::Identity)?;
        if state.joined_by() == Some(redeemed.merge_id) {
            joined.push(account.clone());
        }
    }
    let complete = IdentityCommand::CompleteMerge { merge_id: redeemed.merge_id, joined, at: redeemed.redeemed_at };
    let root_stream = IdentityStreamId::new(org, root);
    bus.identity.execute(root_stream.as_str(), complete, metadata).await.map_err(CommunityError::Identity)?;
    Ok(())
}

/// An account unlinked at its root becomes a person of its own.
pub async fn finish_unlink(
    bus: &CommandBus,
    org: &OrgId,
    root: &Account,
    account: &Account,
    at: Timestamp,
    metadata: &EventMetadata,
) -> Result<(), CommunityError> {
    let stream = IdentityStreamId::new(org, account);
    let leave = IdentityCommand::Leave { root: root.clone(), at };
    bus.identity.execute(stream.as_str(), leave, metadata).await.map_err(CommunityError::Identity)?;
    Ok(())
}

/// Gives back every price a cancelled giveaway's entries paid.
pub async fn refund_cancelled(
    bus: &CommandBus,
    org: &OrgId,
    giveaway_id: GiveawayId,
    giveaway: &GiveawayState,
    metadata: &EventMetadata,
) -> Result<u32, CommunityError> {
    let mut refunded = 0;
    for entry in giveaway.entries().iter().filter(|e| e.paid > 0) {
        let viewer = ChatStreamId::new(org, entry.channel.platform, &entry.channel.channel, &entry.account.user_id);
        let refund = ChatCommand::RefundEntry { giveaway_id };
        let accepted = bus.chat.execute(&viewer, refund, metadata).await.map_err(CommunityError::Chat)?;
        refunded += u32::from(accepted.events_written > 0);
    }
    Ok(refunded)
}

/// Whether an entry's price was settled by the one who took it: the entry
/// stands, was abandoned, or its price was given back. Until then the move
/// is half done.
pub async fn entry_decided(
    bus: &CommandBus,
    payer: &ChatStreamId,
    giveaway_id: GiveawayId,
    message_id: &MessageId,
) -> Result<bool, CommunityError> {
    let stream = GiveawayStreamId::new(payer.org(), giveaway_id);
    let giveaway = bus.giveaway.load(stream.as_str()).await.map_err(CommunityError::Giveaway)?;
    if giveaway.has_entry(message_id) || giveaway.was_abandoned(message_id) {
        return Ok(true);
    }
    let viewer = bus.chat.load(payer).await.map_err(CommunityError::Chat)?;
    Ok(viewer.paid_for(giveaway_id).is_none())
}

/// Settles an entry's price: abandons the entry if the giveaway never got
/// it (so it cannot arrive late), and refunds the price unless the entry
/// stands in a giveaway that was not cancelled.
pub async fn settle_entry(
    bus: &CommandBus,
    payer: &ChatStreamId,
    giveaway_id: GiveawayId,
    message_id: &MessageId,
    at: Timestamp,
    metadata: &EventMetadata,
) -> Result<(), CommunityError> {
    let stream = GiveawayStreamId::new(payer.org(), giveaway_id);
    let account = Account::new(payer.platform(), payer.user().clone());
    let abandon = GiveawayCommand::Abandon { message_id: message_id.clone(), account, at };
    match bus.giveaway.execute(stream.as_str(), abandon, metadata).await {
        Ok(_) | Err(CommandError::Rejected(_)) => {}
        Err(error) => return Err(CommunityError::Giveaway(error)),
    }
    let giveaway = bus.giveaway.load(stream.as_str()).await.map_err(CommunityError::Giveaway)?;
    if giveaway.has_entry(message_id) && giveaway.phase() != Phase::Cancelled {
        return Ok(());
    }
    let refund = ChatCommand::RefundEntry { giveaway_id };
    bus.chat.execute(payer, refund, metadata).await.map_err(CommunityError::Chat)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CommunityError {
    #[error("the viewer's stream")]
    Chat(#[source] CommandError<ChatError>),
    #[error("the giveaway")]
    Giveaway(#[source] CommandError<GiveawayError>),
    #[error("the identity")]
    Identity(#[source] CommandError<IdentityError>),
}

impl CommunityError {
    pub fn is_transient(&self) -> bool {
        match self {
            CommunityError::Chat(e) => e.is_transient(),
            CommunityError::Giveaway(e) => e.is_transient(),
            CommunityError::Identity(e) => e.is_transient(),
        }
    }
}
