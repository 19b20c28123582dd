//! What happens on a channel's broadcast, recorded once: its stream going
//! online and offline, and what its audience gives, paid in points per the
//! channel's support policy. Called by the gateways (Twitch EventSub's
//! follows, subs, cheers, raids, …) as chat is by `chat::hear`.
//!
//! The payout is decided with the record (the policy read now is written
//! into the event), so a replay pays the same; it is credited to the giver
//! at once, and again from the log by the points settler should this
//! process die in between: once per platform event either way.

use wavestack_adapters::command_bus::{CommandError, Written};
use wavestack_domain::broadcast::{BroadcastCommand, BroadcastError, BroadcastEvent, BroadcastState, Happening};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{BroadcastStreamId, ChannelId, ChannelStreamId, ChatPlatform, Timestamp};

use crate::settlement::points as settlement;
use crate::App;

/// Records what happened (nothing when the platform delivers it again) and
/// pays its giver.
pub async fn record(
    app: &App,
    metadata: &EventMetadata,
    platform: ChatPlatform,
    channel: &ChannelId,
    happening: Happening,
) -> Result<Written<BroadcastEvent>, CommandError<BroadcastError>> {
    let settings = ChannelStreamId::new(&metadata.org, platform, channel);
    // A load fails only in the store; its refusal type is the channel's.
    let policy = match app.bus.channel.load(settings.as_str()).await {
        Ok(state) => state.support().policy,
        Err(CommandError::Store(error)) => return Err(CommandError::Store(error)),
        Err(_) => return Err(CommandError::Conflict),
    };
    let stream = BroadcastStreamId::new(&metadata.org, platform, channel);
    let command = BroadcastCommand::Record { happening, policy };
    let written = app.bus.broadcast.execute_written(stream.as_str(), command, metadata).await?;
    for event in &written.events {
        if let BroadcastEvent::SupportReceived(support) = event {
            // The settler pays what this cannot; a failure here loses nothing.
            if let Err(error) = settlement::reward_support(&app.bus, &stream, support, metadata).await {
                tracing::warn!(error = %error, "paying for support; the points settler pays it from the log");
            }
        }
    }
    Ok(written)
}

/// When the channel's stream went live, if it is live now.
pub async fn live_since(
    app: &App,
    org: &wavestack_domain::value::OrgId,
    platform: ChatPlatform,
    channel: &ChannelId,
) -> Result<Option<Timestamp>, CommandError<BroadcastError>> {
    let stream = BroadcastStreamId::new(org, platform, channel);
    let state: BroadcastState = app.bus.broadcast.load(stream.as_str()).await?;
    Ok(state.live_since())
}
