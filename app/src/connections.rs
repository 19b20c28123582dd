//! Connecting a channel to its platform, and disconnecting it: who did it
//! and with which scopes is an event of the channel's stream (never a
//! token); the tokens the gateways act with are stored sealed beside it.
//!
//! The event is written first: a connection the rules refuse (odd scopes)
//! stores nothing. Should the process die between the event and the
//! tokens, the channel shows connected without tokens and its dashboard
//! asks to connect again; connecting again is harmless.

use wavestack_adapters::command_bus::{CommandError, StoreError, Written};
use wavestack_adapters::platform_auth::twitch::{OAuthError, TwitchOAuth};
use wavestack_adapters::platform_connections::{Connection, PlatformConnections, Tokens};
use wavestack_domain::channel::{ChannelCommand, ChannelError, ChannelEvent, PlatformConnection};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ChannelId, ChannelStreamId, ChatPlatform, PlatformUserId};

use crate::App;

/// What a platform's OAuth granted, ready to record.
#[derive(Debug, Clone)]
pub struct Grant {
    pub connection: PlatformConnection,
    pub tokens: Tokens,
    pub expires_at: time::OffsetDateTime,
}

/// Why connecting with an authorization code failed: a stable code the
/// dashboard and the CLI show (never a token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.code())]
pub enum ConnectRefused {
    /// Twitch refused the code (expired, used, or for another redirect).
    CodeRefused,
    TwitchRefused,
    TwitchUnreachable,
    /// The token Twitch gave is another application's.
    TokenRefused,
    /// The account's login or id is not one WaveStack can name.
    ChannelRefused,
    NotRecorded,
}

impl ConnectRefused {
    /// The stable code (the dashboard's `?error=`).
    pub fn code(self) -> &'static str {
        match self {
            ConnectRefused::CodeRefused => "code_refused",
            ConnectRefused::TwitchRefused => "twitch_refused",
            ConnectRefused::TwitchUnreachable => "twitch_unreachable",
            ConnectRefused::TokenRefused => "token_refused",
            ConnectRefused::ChannelRefused => "channel_refused",
            ConnectRefused::NotRecorded => "not_recorded",
        }
    }
}

impl From<OAuthError> for ConnectRefused {
    fn from(error: OAuthError) -> Self {
        tracing::warn!(error = %error, "Twitch's id server refused an authorization code or token");
        match error {
            OAuthError::Invalid(_) => ConnectRefused::CodeRefused,
            OAuthError::Refused { .. } => ConnectRefused::TwitchRefused,
            OAuthError::NoAnswer(_) => ConnectRefused::TwitchUnreachable,
        }
    }
}

/// Connects the Twitch channel whose account authorized `code` (the
/// account is the channel and the bot's voice): the code exchanged, the
/// token checked to be this application's, the connection recorded with
/// `metadata`'s actor. The dashboard's callback and `wavestack twitch
/// connect` both end here. The channel connected.
pub async fn connect_twitch_with_code(
    app: &App,
    store: &PlatformConnections,
    oauth: &TwitchOAuth,
    metadata: &EventMetadata,
    code: &str,
) -> Result<ChannelId, ConnectRefused> {
    let granted = oauth.exchange(code).await?;
    let whose = oauth.validate(&granted.tokens.access).await?;
    if whose.client_id != oauth.client_id() {
        return Err(ConnectRefused::TokenRefused);
    }
    let channel = ChannelId::parse(whose.login.to_ascii_lowercase()).map_err(|_| ConnectRefused::ChannelRefused)?;
    let user = PlatformUserId::parse(whose.user_id).map_err(|_| ConnectRefused::ChannelRefused)?;
    let grant = Grant {
        connection: PlatformConnection {
            platform_channel_id: user.clone(),
            bot_user_id: user,
            bot_login: whose.login,
            scopes: granted.scopes,
        },
        tokens: granted.tokens,
        expires_at: time::OffsetDateTime::now_utc() + granted.expires_in,
    };
    connect(app, store, metadata, ChatPlatform::Twitch, &channel, grant).await.map_err(|e| {
        tracing::warn!(error = %e, "a Twitch connection could not be recorded");
        ConnectRefused::NotRecorded
    })?;
    tracing::info!(org = %metadata.org, channel = %channel, by = %metadata.actor, "a Twitch channel was connected");
    Ok(channel)
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
