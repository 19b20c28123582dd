//! The EventSub WebSocket transport, for a self-hosted streamer: one
//! session per channel (dev.twitch.tv, "Handling WebSocket Events").
//!
//! - On a new session, the channel's subscriptions are created within the
//!   welcome's window (Twitch closes an unused socket with 4003).
//! - Silence longer than the keepalive timeout means the socket is dead:
//!   a new session is made and subscribed again. Events Twitch sent in the
//!   gap are not replayed by Twitch (a limit of this transport, stated in
//!   the README).
//! - `session_reconnect`: the new URL is connected before the old socket is
//!   let go, and the old one is read until the new one welcomes; the
//!   subscriptions move with the session, so none is made again.
//! - Twitch delivers at least once: a notification whose message id was
//!   seen is dropped.
//! - A revocation for a revoked authorization ends the channel; the
//!   dashboard shows the token revoked.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::frames::{self, Notification, ServerMessage, Session};
use super::helix::{Helix, HelixError};
use super::seen::Seen;
use crate::{ChannelState, GatewayError};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connecting, and waiting for the welcome once connected.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Added to the keepalive timeout before silence counts as death: a
/// keepalive is sent when the timeout is reached, not before.
const SILENCE_GRACE: Duration = Duration::from_secs(2);
const FIRST_RETRY: Duration = Duration::from_millis(200);
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// One subscription a channel wants on every new session.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    pub(crate) kind: &'static str,
    pub(crate) version: &'static str,
    pub(crate) condition: Value,
}

/// What a session is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Role<'a> {
    /// One channel's own session: its subscriptions are made on each new
    /// session, and a revoked authorization ends it.
    Channel { wanted: &'a [Wanted] },
    /// A conduit's shard: the session is assigned to the shard on each new
    /// session, and revocations are passed on (they concern one channel
    /// each) as notifications of type `revocation`.
    Shard { conduit_id: &'a str, shard: u32 },
}

impl Role<'_> {
    async fn on_session(&self, helix: &Helix, session_id: &str) -> Result<(), HelixError> {
        match self {
            Role::Channel { wanted } => subscribe_all(helix, wanted, session_id).await,
            Role::Shard { conduit_id, shard } => helix.assign_shard(conduit_id, *shard, session_id).await,
        }
    }
}

/// Hears the channel (or the shard) until `stop`, sending each
/// notification once into `out`. Returns an error only for what
/// reconnecting cannot heal.
pub(crate) async fn hear(
    url: &Url,
    helix: &Helix,
    role: Role<'_>,
    out: mpsc::Sender<Notification>,
    state: &watch::Sender<ChannelState>,
    stop: &CancellationToken,
) -> Result<(), GatewayError> {
    let mut seen = Seen::default();
    let mut retry = FIRST_RETRY;
    'session: loop {
        if stop.is_cancelled() {
            return Ok(());
        }
        let opened = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            opened = open(url.as_str()) => opened,
        };
        let (mut socket, welcome) = match opened {
            Ok(opened) => opened,
            Err(error) => {
                tracing::warn!(error, retry_ms = retry.as_millis() as u64, "EventSub: could not open a session");
                state.send_replace(ChannelState::Reconnecting);
                if pause(&mut retry, stop).await {
                    return Ok(());
                }
                continue 'session;
            }
        };
        if let Err(error) = role.on_session(helix, &welcome.id).await {
            if let Some(ended) = ends_the_channel(&error, state) {
                return Err(ended);
            }
            tracing::warn!(error = %error, "EventSub: could not subscribe; opening a new session");
            state.send_replace(ChannelState::Reconnecting);
            if pause(&mut retry, stop).await {
                return Ok(());
            }
            continue 'session;
        }
        state.send_replace(ChannelState::Connected);
        retry = FIRST_RETRY;
        let mut silence = silence_of(&welcome);
        loop {
            let next = tokio::select! {
                _ = stop.cancelled() => {
                    let _ = socket.close(None).await;
                    return Ok(());
                }
                next = tokio::time::timeout(silence, socket.next()) => next,
            };
            let text = match next {
                Err(_) => {
                    tracing::warn!(silence_s = silence.as_secs(), "EventSub: silent past the keepalive; reconnecting");
                    state.send_replace(ChannelState::Reconnecting);
                    continue 'session;
                }
                Ok(None) | Ok(Some(Err(_))) => {
                    tracing::warn!("EventSub: the socket was lost; reconnecting");
                    state.send_replace(ChannelState::Reconnecting);
                    continue 'session;
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    let (code, reason) = frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or_default();
                    tracing::warn!(code, reason, "EventSub: the server closed the session; reconnecting");
                    state.send_replace(ChannelState::Reconnecting);
                    continue 'session;
                }
                Ok(Some(Ok(Message::Text(text)))) => text,
                // Pings are answered by the socket itself.
                Ok(Some(Ok(_))) => continue,
            };
            match frames::parse(&text) {
                Ok(ServerMessage::Notification(notification)) => {
                    if seen.first(&notification.message_id) && out.send(notification).await.is_err() {
                        return Ok(());
                    }
                }
                Ok(ServerMessage::Keepalive) => {}
                Ok(ServerMessage::Welcome(_)) => tracing::warn!("EventSub: a second welcome on one session; ignored"),
                Ok(ServerMessage::Reconnect(session)) => {
                    state.send_replace(ChannelState::Reconnecting);
                    let Some(to) = session.reconnect_url else {
                        tracing::warn!("EventSub: a reconnect without a URL; opening a new session");
                        continue 'session;
                    };
                    match move_to(&mut socket, &to, &mut seen, &out).await {
                        Ok((moved, welcome)) => {
                            socket = moved;
                            silence = silence_of(&welcome);
                            // A channel's subscriptions move with the
                            // session; a shard is told its new session.
                            if let Role::Shard { .. } = role {
                                if let Err(error) = role.on_session(helix, &welcome.id).await {
                                    tracing::warn!(error = %error, "EventSub: could not move the shard; opening a new session");
                                    continue 'session;
                                }
                            }
                            state.send_replace(ChannelState::Connected);
                        }
                        Err(error) => {
                            tracing::warn!(error, "EventSub: could not follow the reconnect; opening a new session");
                            continue 'session;
                        }
                    }
                }
                Ok(ServerMessage::Revocation(subscription)) if matches!(role, Role::Shard { .. }) => {
                    let revoked = Notification {
                        message_id: format!("revocation:{}", uuid::Uuid::new_v4()),
                        subscription_type: "revocation".to_owned(),
                        sent_at: None,
                        event: serde_json::json!({"type": subscription.kind, "status": subscription.status}),
                        condition: subscription.condition,
                        receipt: None,
                    };
                    if out.send(revoked).await.is_err() {
                        return Ok(());
                    }
                }
                Ok(ServerMessage::Revocation(subscription)) => {
                    tracing::warn!(kind = subscription.kind, status = subscription.status, "EventSub: revoked");
                    if matches!(subscription.status.as_str(), "authorization_revoked" | "user_removed") {
                        state.send_replace(ChannelState::TokenRevoked);
                        let _ = socket.close(None).await;
                        return Err(GatewayError::Revoked(subscription.status));
                    }
                }
                Err(error) => tracing::warn!(error, "EventSub: a message that could not be read; skipped"),
            }
        }
    }
}

/// EventSub's messages are a few KiB: tungstenite's default 128 KiB read
/// and write buffers per socket made a thousand channels cost 178 MB.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(Some(1024 * 1024))
        .max_frame_size(Some(1024 * 1024))
}

/// Connects and waits for the welcome.
pub(crate) async fn open(url: &str) -> Result<(Socket, Session), String> {
    let connecting = tokio_tungstenite::connect_async_with_config(url, Some(socket_config()), false);
    let (mut socket, _) = tokio::time::timeout(OPEN_TIMEOUT, connecting)
        .await
        .map_err(|_| "connecting timed out".to_owned())?
        .map_err(|e| format!("connecting failed: {e}"))?;
    let deadline = tokio::time::Instant::now() + OPEN_TIMEOUT;
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next()).await.map_err(|_| "no welcome".to_owned())?;
        match next {
            Some(Ok(Message::Text(text))) => match frames::parse(&text)? {
                ServerMessage::Welcome(session) => return Ok((socket, session)),
                other => return Err(format!("expected a welcome, got {other:?}")),
            },
            Some(Ok(Message::Close(frame))) => return Err(format!("closed before the welcome: {frame:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("lost before the welcome: {e}")),
            None => return Err("closed before the welcome".to_owned()),
        }
    }
}

/// Follows a `session_reconnect`: opens `to` while still reading `old`
/// (Twitch keeps sending there until the new session welcomes), then lets
/// the old one go.
async fn move_to(
    old: &mut Socket,
    to: &str,
    seen: &mut Seen,
    out: &mpsc::Sender<Notification>,
) -> Result<(Socket, Session), String> {
    let opening = open(to);
    tokio::pin!(opening);
    loop {
        tokio::select! {
            opened = &mut opening => {
                let opened = opened?;
                let _ = old.close(None).await;
                return Ok(opened);
            }
            frame = old.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(ServerMessage::Notification(n)) = frames::parse(&text) {
                        if seen.first(&n.message_id) && out.send(n).await.is_err() {
                            return Err("the gateway is stopping".to_owned());
                        }
                    }
                }
                Some(Ok(_)) => {}
                // The old session ended first: the new one is all there is.
                Some(Err(_)) | None => return opening.await,
            }
        }
    }
}

async fn subscribe_all(helix: &Helix, wanted: &[Wanted], session_id: &str) -> Result<(), HelixError> {
    let transport = serde_json::json!({"method": "websocket", "session_id": session_id});
    subscribe(helix, wanted, &transport).await
}

/// Creates each wanted subscription over `transport`.
pub(crate) async fn subscribe(helix: &Helix, wanted: &[Wanted], transport: &Value) -> Result<(), HelixError> {
    for w in wanted {
        helix.subscribe(w.kind, w.version, w.condition.clone(), transport).await?;
    }
    Ok(())
}

fn silence_of(welcome: &Session) -> Duration {
    Duration::from_secs(welcome.keepalive_timeout_seconds.unwrap_or(10)) + SILENCE_GRACE
}

/// Whether subscribing failed for good: a missing scope (Helix answers
/// 401 "Missing scope: ..." for a user token, and 403 "... has not
/// authorized the app with ..." for an app token) or a refused token. Shows
/// it on `state`, and says why the channel ends; `None` for a failure worth
/// trying again.
pub(crate) fn ends_the_channel(error: &HelixError, state: &watch::Sender<ChannelState>) -> Option<GatewayError> {
    match error {
        HelixError::Unauthorized(message) | HelixError::Refused { status: 403, message }
            if message.contains("scope") || message.contains("authorized") =>
        {
            state.send_replace(ChannelState::MissingScope(message.clone()));
            Some(GatewayError::MissingScope(message.clone()))
        }
        HelixError::Unauthorized(message) => {
            state.send_replace(ChannelState::TokenExpired);
            Some(GatewayError::Unauthorized(message.clone()))
        }
        _ => None,
    }
}

/// Waits `retry` (doubling it for next time); true when stopped meanwhile.
pub(crate) async fn pause(retry: &mut Duration, stop: &CancellationToken) -> bool {
    let wait = retry.mul_f64(0.5 + fastrand::f64() / 2.0);
    *retry = (*retry * 2).min(LONGEST_RETRY);
    tokio::select! {
        _ = stop.cancelled() => true,
        _ = tokio::time::sleep(wait) => false,
    }
}
