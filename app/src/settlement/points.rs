//! The second halves of the points economy, run by the API at once (the
//! fast path) and again by the `points-settler` process manager from the
//! log, which finishes what a killed process left: both steps are exactly
//! once, so running them twice is harmless.
//!
//! - A follow's, a sub's, a gift's, a cheer's or a raid's payout
//!   (`SupportReceived.points`) is credited to its giver (once per event).
//! - A `!give`'s debit (`PointsSent`) is credited to the receiver
//!   (`PointsReceived`, once per transfer id).
//! - A command's price (`PointsSpent`) stays spent only if the use was
//!   answered. A use never decided (the API died in between) is settled as
//!   refused (`Abandon`), and a refused use's price is refunded (once per
//!   message).

use wavestack_domain::broadcast::SupportReceived;
use wavestack_domain::chat::{ChatCommand, PointsSent, PointsSpent, ReceivePoints, RewardSupport, Viewer};
use wavestack_domain::chat_command::{decision_key, AbandonUse, CommandUse, CommandUseEvent, Invoker};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{BroadcastStreamId, ChatStreamId, CommandUseStreamId, DisplayName, MessageId, Timestamp};

use wavestack_adapters::command_bus::{CommandBus, CommandError};

/// Pays a piece of support's giver what the policy decided with it: once
/// per platform event, however often it is asked. `stream` is the
/// channel's broadcast stream.
pub async fn reward_support(
    bus: &CommandBus,
    stream: &BroadcastStreamId,
    support: &SupportReceived,
    metadata: &EventMetadata,
) -> Result<(), SettlementError> {
    let Some(user_id) = support.user_id.clone().filter(|_| support.points > 0) else { return Ok(()) };
    let giver = Viewer { platform: stream.platform(), channel: stream.channel().clone(), user_id };
    let reward = RewardSupport {
        event_id: support.event_id.clone(),
        kind: support.kind,
        points: support.points,
        at: support.at,
    };
    let viewer = giver.stream_id(stream.org());
    bus.chat.execute(&viewer, ChatCommand::RewardSupport(reward), metadata).await.map_err(SettlementError::Chat)?;
    Ok(())
}

/// Credits a transfer to its receiver. `sender` is the debit's stream.
pub async fn credit_transfer(
    bus: &CommandBus,
    sender: &ChatStreamId,
    sent: &PointsSent,
    at: Timestamp,
    metadata: &EventMetadata,
) -> Result<(), SettlementError> {
    let receiver =
        Viewer { platform: sender.platform(), channel: sender.channel().clone(), user_id: sent.to_user_id.clone() };
    let credit = ReceivePoints {
        viewer: receiver.clone(),
        transfer_id: sent.transfer_id,
        from: sender.user().clone(),
        points: sent.points,
        received_at: at,
    };
    let stream = receiver.stream_id(sender.org());
    bus.chat.execute(&stream, ChatCommand::ReceivePoints(credit), metadata).await.map_err(SettlementError::Chat)?;
    Ok(())
}

/// Settles a price: refunded unless its use was answered. Decides the use
/// as interrupted first if nothing decided it.
pub async fn settle_spend(
    bus: &CommandBus,
    spender: &ChatStreamId,
    spent: &PointsSpent,
    at: Timestamp,
    metadata: &EventMetadata,
) -> Result<(), SettlementError> {
    let uses = uses_of(spender, spent);
    let abandon = CommandUse::Abandon(AbandonUse {
        invoker: Invoker {
            message_id: spent.message_id.clone(),
            platform: spender.platform(),
            channel: spender.channel().clone(),
            user_id: spender.user().clone(),
            // The price event does not repeat the author's name; the user id
            // stands in, cut to a display name's length.
            author: DisplayName::parse(spender.user().as_str().chars().take(DisplayName::MAX_LEN).collect::<String>())
                .map_err(|_| SettlementError::Invalid)?,
        },
        command: spent.command.clone(),
        at,
    });
    let abandoned = bus.command_use.execute_written(&uses, abandon, metadata).await.map_err(SettlementError::Use)?;
    // Written: nothing had decided the use, so it is refused now. Not
    // written: it was decided; only an answer keeps the price.
    if abandoned.events.is_empty() && answered(bus, &uses, &spent.message_id).await? {
        return Ok(());
    }
    refund_spend(bus, spender, &spent.message_id, spent.points, metadata).await
}

/// Whether the use a price paid for was decided (answered, refused or
/// abandoned): until it is, the move is half done.
pub async fn use_decided(
    bus: &CommandBus,
    spender: &ChatStreamId,
    spent: &PointsSpent,
) -> Result<bool, SettlementError> {
    let uses = uses_of(spender, spent);
    let state = bus.command_use.load(&uses).await.map_err(SettlementError::Use)?;
    if state.decision_of(&spent.message_id).is_some() {
        return Ok(true);
    }
    let decision = bus.command_use.settled_by(&uses, &decision_key(&spent.message_id)).await;
    Ok(decision.map_err(SettlementError::Use)?.is_some())
}

fn uses_of(spender: &ChatStreamId, spent: &PointsSpent) -> CommandUseStreamId {
    CommandUseStreamId::new(spender.org(), spender.platform(), spender.channel(), spent.command.as_str())
}

/// Whether a decided use was answered: from the stream's memory of its
/// decisions, or, past it, from the decision the store holds.
async fn answered(bus: &CommandBus, uses: &CommandUseStreamId, message: &MessageId) -> Result<bool, SettlementError> {
    let state = bus.command_use.load(uses).await.map_err(SettlementError::Use)?;
    if let Some(answered) = state.decision_of(message) {
        return Ok(answered);
    }
    let decision = bus.command_use.settled_by(uses, &decision_key(message)).await.map_err(SettlementError::Use)?;
    Ok(matches!(decision, Some(CommandUseEvent::CommandAnswered(_))))
}

/// Gives back the price (`points`, as its `PointsSpent` took it) a refused
/// use took: once per message, however late; a second refund of the same
/// message writes nothing.
pub async fn refund_spend(
    bus: &CommandBus,
    spender: &ChatStreamId,
    message_id: &MessageId,
    points: u64,
    metadata: &EventMetadata,
) -> Result<(), SettlementError> {
    let refund = ChatCommand::RefundSpend { message_id: message_id.clone(), points };
    bus.chat.execute(spender, refund, metadata).await.map_err(SettlementError::Chat)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    #[error("the viewer's stream")]
    Chat(#[source] CommandError<wavestack_domain::chat::ChatError>),
    #[error("the command's uses")]
    Use(#[source] CommandError<wavestack_domain::chat_command::CommandUseError>),
    #[error("a viewer id that is no display name")]
    Invalid,
}

impl SettlementError {
    pub fn is_transient(&self) -> bool {
        match self {
            SettlementError::Chat(e) => e.is_transient(),
            SettlementError::Use(e) => e.is_transient(),
            SettlementError::Invalid => false,
        }
    }
}
