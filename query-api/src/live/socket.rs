//! One client's socket. The token comes in the `Authorization` header or,
//! for browsers (which cannot set headers on a WebSocket), in
//! `?access_token=`; it needs the `read` scope. Then:
//!
//! - client: `{"subscribe": ["shroud", …]}` / `{"unsubscribe": […]}`, and
//!   `{"access_token": "…"}` to carry on past the first token's expiry
//!   (a token of the same org and subject);
//! - server: `{"type": "subscribed", "channels": […]}`,
//!   `{"type": "authenticated", "expires_at": …}`, then changes such as
//!   `{"type": "leaderboard", "channel": "shroud", "changes": [{"user_id", "points", …}]}`,
//!   `{"type": "clip", "channel": "shroud", "changes": {clip job}}` and
//!   `{"type": "publication", "channel": "shroud", "changes": {publication}}`.
//!   A publication of an asset hosted elsewhere has no channel
//!   (`"channel": null`); it goes to every socket of the org subscribed to
//!   at least one channel.
//!
//! Limits: frames and messages of at most 64 KiB; at most
//! `MAX_SOCKETS_PER_CALLER` sockets per caller (429 past it); client
//! messages count against the caller's rate limit; the socket closes with
//! code 4001 when its token expires unless re-authenticated.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use wavestack_adapters::auth::{Principal, Scope, Tokens};
use wavestack_adapters::http::{ApiError, ErrorEnvelope, RateLimiter, ValidQuery};
use wavestack_domain::value::ChannelId;

use super::hub::LiveHub;
use wavestack_adapters::http::{CallerSlot, CallerSlots};

const MAX_CHANNELS: usize = 100;
/// Dashboards and overlays send a few small JSON messages.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// A streamer's dashboard and a handful of overlays.
pub(crate) const MAX_SOCKETS_PER_CALLER: usize = 16;
/// A client that cannot take a message within this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// WebSocket close code 1013: try again later (too slow, or not listening yet).
pub(crate) const TRY_AGAIN_LATER: u16 = 1013;
/// How long a new socket waits for the hub's first `LISTEN` (the process
/// has just started, or Postgres is away) before it is asked to come back.
pub(crate) const LISTEN_WAIT: Duration = Duration::from_secs(10);
/// Application close code (4000–4999): the token expired.
pub(crate) const TOKEN_EXPIRED: u16 = 4001;

#[derive(Clone)]
pub(crate) struct LiveState {
    pub tokens: Arc<Tokens>,
    pub hub: Arc<LiveHub>,
    pub limiter: Arc<RateLimiter>,
    /// Open sockets per caller (org and subject).
    pub sockets: Arc<CallerSlots>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    #[serde(default)]
    access_token: Option<String>,
}

/// The live feed's route: the router and its part of the document.
pub(crate) fn routes() -> utoipa_axum::router::OpenApiRouter<LiveState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(live))
}

#[utoipa::path(
    get,
    path = "/v1/live",
    tag = "live",
    params(Params),
    responses(
        (status = 101, description = "A WebSocket of read-model changes for the token's org"),
        (status = "default", description = "A refusal: the status says which (401, 403, 426, 429)", body = ErrorEnvelope)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn live(
    State(state): State<LiveState>,
    headers: HeaderMap,
    ValidQuery(params): ValidQuery<Params>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // Said in this API's error shape, not axum's plain text.
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return ApiError::websocket_required(rejection.body_text()).into_response(),
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::to_owned);
    let Some(token) = bearer.or(params.access_token) else {
        return ApiError::unauthorized("missing_token", "send a bearer token or ?access_token=").into_response();
    };
    let principal = match state.tokens.verify(&token) {
        Ok(principal) => principal,
        Err(error) => return ApiError::unauthorized(error.code(), error.to_string()).into_response(),
    };
    if !principal.scopes.contains(Scope::Read) {
        return ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", "the live feed needs the `read` scope")
            .into_response();
    }
    if let Err(wait) = state.limiter.charge(&principal, 1) {
        return ApiError::too_many_requests(wait).into_response();
    }
    let Some(slot) = state.sockets.take(format!("{}/{}", principal.org, principal.subject)) else {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_sockets",
            format!("at most {MAX_SOCKETS_PER_CALLER} live sockets per caller"),
        )
        .with_retry_after(Duration::from_secs(5))
        .into_response();
    };
    upgrade
        .max_frame_size(MAX_MESSAGE_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve(socket, principal, state, slot))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientMessage {
    #[serde(default)]
    subscribe: Vec<String>,
    #[serde(default)]
    unsubscribe: Vec<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// When a token of `expires_at` (Unix seconds) stops being valid.
fn deadline_of(expires_at: i64) -> tokio::time::Instant {
    let left = expires_at.saturating_sub(time::OffsetDateTime::now_utc().unix_timestamp()).max(0);
    tokio::time::Instant::now() + Duration::from_secs(left.unsigned_abs())
}

async fn serve(mut socket: WebSocket, mut principal: Principal, state: LiveState, _slot: CallerSlot) {
    let mut events = state.hub.subscribe(principal.org.as_str());
    // Nothing is handled (so nothing said "subscribed") before the hub
    // listens: a change notified before would be missed for good.
    if tokio::time::timeout(LISTEN_WAIT, state.hub.listening()).await.is_err() {
        let _ = close(&mut socket, TRY_AGAIN_LATER, "the live feed is not connected yet: reconnect shortly").await;
        return;
    }
    let mut channels: HashSet<String> = HashSet::new();
    let expiry = tokio::time::sleep_until(deadline_of(principal.expires_at));
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = &mut expiry => {
                let _ = close(&mut socket, TOKEN_EXPIRED, "token expired: reconnect or send a fresh access_token").await;
                return;
            }
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { return };
                let text = match message {
                    Message::Text(text) => text,
                    Message::Close(_) => return,
                    _ => continue,
                };
                let reply = match state.limiter.charge(&principal, 1) {
                    Err(_) => error_message("rate_limited", "too many messages; slow down"),
                    Ok(()) => match handle(&text, &mut channels, &state.tokens, &principal) {
                        Handled::Reply(reply) => reply,
                        Handled::Reauthenticated(renewed) => {
                            expiry.as_mut().reset(deadline_of(renewed.expires_at));
                            let reply = json!({ "type": "authenticated", "expires_at": renewed.expires_at });
                            principal = renewed;
                            reply.to_string()
                        }
                    },
                };
                if send(&mut socket, reply).await.is_err() {
                    return;
                }
            }
            event = events.recv() => match event {
                Ok(event) => {
                    let wanted = match &event.channel {
                        Some(channel) => channels.contains(channel),
                        None => !channels.is_empty(),
                    };
                    // The hub hands out only the org's own; checked again
                    // because a wall is worth two lines.
                    if event.org != principal.org.as_str() || !wanted {
                        continue;
                    }
                    if send(&mut socket, event.message.clone()).await.is_err() {
                        let _ = close(&mut socket, TRY_AGAIN_LATER, "too slow: fell behind the live feed").await;
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!(missed, "dropping a live client that fell behind");
                    let _ = close(&mut socket, TRY_AGAIN_LATER, "too slow: fell behind the live feed").await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
        }
    }
}

enum Handled {
    Reply(String),
    Reauthenticated(Principal),
}

fn error_message(code: &str, message: &str) -> String {
    json!({ "type": "error", "code": code, "message": message }).to_string()
}

fn handle(text: &str, channels: &mut HashSet<String>, tokens: &Tokens, principal: &Principal) -> Handled {
    let error = |message: &str| Handled::Reply(error_message("invalid_message", message));
    let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
        return error("send {\"subscribe\": [channels]}, {\"unsubscribe\": [channels]} or {\"access_token\": \"…\"}");
    };
    if let Some(token) = message.access_token {
        return match tokens.verify(&token) {
            Ok(renewed) if renewed.org == principal.org && renewed.subject == principal.subject => {
                if renewed.scopes.contains(Scope::Read) {
                    Handled::Reauthenticated(renewed)
                } else {
                    Handled::Reply(error_message("insufficient_scope", "the live feed needs the `read` scope"))
                }
            }
            Ok(_) => {
                Handled::Reply(error_message("wrong_principal", "the new token must be of the same org and subject"))
            }
            Err(e) => Handled::Reply(error_message(e.code(), &e.to_string())),
        };
    }
    for channel in message.subscribe {
        if ChannelId::parse(channel.as_str()).is_err() {
            return error(&format!("`{}` is not a channel id", channel.chars().take(140).collect::<String>()));
        }
        if channels.len() >= MAX_CHANNELS && !channels.contains(&channel) {
            return error(&format!("at most {MAX_CHANNELS} channels per connection"));
        }
        channels.insert(channel);
    }
    for channel in message.unsubscribe {
        channels.remove(&channel);
    }
    let mut list: Vec<&String> = channels.iter().collect();
    list.sort();
    Handled::Reply(json!({ "type": "subscribed", "channels": list }).to_string())
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

pub(crate) async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) -> Result<(), axum::Error> {
    socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await
}
