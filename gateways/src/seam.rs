//! The seam every platform's gateway implements.

use std::fmt;
use std::future::Future;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use wavestack_domain::value::ChatPlatform;

use crate::Brain;

/// One chat platform. A gateway hears a connected channel, hands each
/// message to the [`Brain`] and carries back what the bot says and does
/// about it; the rules are the application layer's, never the gateway's.
pub trait Gateway: Send + Sync {
    /// What connecting one channel takes on this platform (its ids and the
    /// bot's credentials).
    type Channel: Send + 'static;

    fn platform(&self) -> ChatPlatform;

    /// Hears `channel` and answers in it until `stop` is cancelled, or until
    /// the platform ends the connection for good (a revoked token). Faults
    /// it can heal (a dropped socket, a server's reconnect, silence, rate
    /// limits) it heals by itself; `state` follows the connection so the
    /// dashboard can show it.
    fn run(
        &self,
        channel: Self::Channel,
        brain: Brain,
        state: watch::Sender<ChannelState>,
        stop: CancellationToken,
    ) -> impl Future<Output = Result<(), GatewayError>> + Send;

    /// Says `text` in `channel` at once, outside any conversation (the
    /// dashboard's "send a test message"); the platform's id of the message.
    fn say(&self, channel: &Self::Channel, text: &str) -> impl Future<Output = Result<String, SayError>> + Send;
}

/// Why a channel could not be spoken in. Never carries a credential; a
/// platform's refusal keeps the platform's own words.
#[derive(Debug, thiserror::Error)]
pub enum SayError {
    #[error("the platform refused the bot's token (expired or revoked): {0}")]
    Unauthorized(String),
    #[error("the platform refused the message ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the platform did not answer: {0}")]
    NoAnswer(String),
}

/// A channel's connection, as a streamer sees it on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelState {
    Connecting,
    Connected,
    /// Lost, or moved by the platform, and being made again.
    Reconnecting,
    TokenExpired,
    TokenRevoked,
    /// The token lacks a scope the gateway needs.
    MissingScope(String),
    Stopped,
}

impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelState::Connecting => f.write_str("connecting"),
            ChannelState::Connected => f.write_str("connected"),
            ChannelState::Reconnecting => f.write_str("reconnecting"),
            ChannelState::TokenExpired => f.write_str("token expired"),
            ChannelState::TokenRevoked => f.write_str("token revoked"),
            ChannelState::MissingScope(scope) => write!(f, "missing scope {scope}"),
            ChannelState::Stopped => f.write_str("stopped"),
        }
    }
}

/// Why a channel's gateway stopped by itself. Never carries a credential.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the platform refused the bot's token: {0}")]
    Unauthorized(String),
    #[error("the token lacks the scope {0}")]
    MissingScope(String),
    #[error("the platform revoked the channel's authorization ({0})")]
    Revoked(String),
    #[error("the platform broke its protocol: {0}")]
    Protocol(String),
}
