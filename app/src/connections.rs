//! Connecting a channel to its platform, and disconnecting it: who did it
//! and with which scopes is an event of the channel's stream (never a
//! token); the tokens the gateways act with are stored sealed beside it.
//!
//! The event is written first: a connection the rules refuse (odd scopes)
//! stores nothing. Should the process die between the event and the
//! tokens, the channel shows connected without tokens and its dashboard
//! asks to connect again; connecting again is harmless.

use wavestack_adapters::command_bus::{CommandError, StoreError, Written};
use wavestack_adapters::platform_connections::{Connection, PlatformConnections, Tokens};
use wavestack_domain::channel::{ChannelCommand, ChannelError, ChannelEvent, PlatformConnection};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ChannelId, ChannelStreamId, ChatPlatform};

use crate::App;

/// What a platform's OAuth granted, ready to record.
#[derive(Debug, Clone)]
pub struct Grant {
    pub connection: PlatformConnection,
    pub tokens: Tokens,
    pub expires_at: time::OffsetDateTime,
}

/// Records the connection (actor: whoever authorized it) and stores its
/// tokens for the gateways.
pub async fn connect(
    app: &App,
    store: &PlatformConnections,
    metadata: &EventMetadata,
    platform: ChatPlatform,
    channel: &ChannelId,
    grant: Grant,
) -> Result<Written<ChannelEvent>, CommandError<ChannelError>> {
    let stream = ChannelStreamId::new(&metadata.org, platform, channel);
    let command = ChannelCommand::ConnectPlatform(grant.connection.clone());
    let written = app.bus.channel.execute_written(stream.as_str(), command, metadata).await?;
    let connection = Connection {
        org: metadata.org.to_string(),
        platform: platform.to_string(),
        channel: channel.to_string(),
        platform_channel_id: grant.connection.platform_channel_id.to_string(),
        bot_user_id: grant.connection.bot_user_id.to_string(),
        bot_login: grant.connection.bot_login.clone(),
        scopes: grant.connection.scopes.clone(),
        tokens: grant.tokens,
        expires_at: grant.expires_at,
        validated_at: time::OffsetDateTime::now_utc(),
        state: "connected".to_owned(),
    };
    store.save(&connection).await.map_err(|e| CommandError::Store(StoreError::Write(std::sync::Arc::new(e))))?;
    Ok(written)
}

/// Forgets the channel's tokens and records why (the caller revoked them at
/// the platform first, or the platform revoked them). Keeps the row with
/// `keep_state` instead of forgetting it, so the dashboard can say what
/// happened (`token_revoked`). The row changes before the event is
/// written: should the process die in between, the channel has stopped
/// being run and the record is missing, rather than the record written and
/// the channel still run.
pub async fn disconnect(
    app: &App,
    store: &PlatformConnections,
    metadata: &EventMetadata,
    platform: ChatPlatform,
    channel: &ChannelId,
    reason: &str,
    keep_state: Option<&str>,
) -> Result<Written<ChannelEvent>, CommandError<ChannelError>> {
    let stream = ChannelStreamId::new(&metadata.org, platform, channel);
    let (org, platform_name, channel_name) = (metadata.org.to_string(), platform.to_string(), channel.to_string());
    let stored = match keep_state {
        Some(state) => store.set_state(&org, &platform_name, &channel_name, state).await,
        None => store.remove(&org, &platform_name, &channel_name).await.map(|_| ()),
    };
    stored.map_err(|e| CommandError::Store(StoreError::Write(std::sync::Arc::new(e))))?;
    let command = ChannelCommand::DisconnectPlatform { reason: reason.to_owned() };
    app.bus.channel.execute_written(stream.as_str(), command, metadata).await
}
