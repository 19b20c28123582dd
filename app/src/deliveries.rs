//! What a gateway carries out on a platform, recorded in the channel's
//! deliveries stream (`domain::delivery`): started before the platform is
//! called, settled with its answer after. A delivery started before, by
//! this process or by one that died, is not carried out again: that is how
//! a reply is never posted twice, even across a crash.

use wavestack_adapters::command_bus::CommandError;
use wavestack_domain::delivery::{DeliveryCommand, DeliveryError, DeliveryKind, Outcome};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ChannelId, ChannelStreamId, ChatPlatform, MessageId, PlatformUserId};

use crate::App;

/// One reply or action about to leave for the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Derived from the decision it carries out (`delivery_id`).
    pub id: String,
    pub kind: DeliveryKind,
    pub message_id: Option<MessageId>,
    pub user_id: Option<PlatformUserId>,
    /// The reply, or the reason given with an action.
    pub text: String,
}

/// The id of the `n`th thing the bot said or did about the chat message
/// recorded at `sequence` of the viewer `user_id`'s stream: one decision,
/// one id, whichever process carries it out.
pub fn delivery_id(user_id: &str, sequence: u64, n: usize) -> String {
    format!("{user_id}#{sequence}/{n}")
}

/// Records that `delivery` is leaving; `false` if it was started before
/// (it must not be carried out again).
pub async fn start(
    app: &App,
    metadata: &EventMetadata,
    platform: ChatPlatform,
    channel: &ChannelId,
    delivery: Delivery,
) -> Result<bool, CommandError<DeliveryError>> {
    let stream = ChannelStreamId::new(&metadata.org, platform, channel);
    let command = DeliveryCommand::Start {
        delivery: delivery.id,
        kind: delivery.kind,
        message_id: delivery.message_id,
        user_id: delivery.user_id,
        text: delivery.text,
        at: metadata.occurred_at,
    };
    let accepted = app.bus.delivery.execute(stream.as_str(), command, metadata).await?;
    Ok(accepted.events_written > 0)
}

/// Records how a started delivery ended.
pub async fn settle(
    app: &App,
    metadata: &EventMetadata,
    platform: ChatPlatform,
    channel: &ChannelId,
    delivery: &str,
    outcome: Outcome,
) -> Result<(), CommandError<DeliveryError>> {
    let stream = ChannelStreamId::new(&metadata.org, platform, channel);
    let command = DeliveryCommand::Settle { delivery: delivery.to_owned(), outcome, at: metadata.occurred_at };
    app.bus.delivery.execute(stream.as_str(), command, metadata).await?;
    Ok(())
}

/// Taking a channel over: what the previous carrier left unsettled is of
/// unknown fate. Returns how many deliveries that was.
pub async fn give_up_unsettled(
    app: &App,
    metadata: &EventMetadata,
    platform: ChatPlatform,
    channel: &ChannelId,
) -> Result<usize, CommandError<DeliveryError>> {
    let stream = ChannelStreamId::new(&metadata.org, platform, channel);
    let command = DeliveryCommand::GiveUpUnsettled { at: metadata.occurred_at };
    let accepted = app.bus.delivery.execute(stream.as_str(), command, metadata).await?;
    Ok(accepted.events_written)
}
