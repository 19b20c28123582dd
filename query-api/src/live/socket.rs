//! One client's socket. The token comes in the `Authorization` header or,
//! for browsers (which cannot set headers on a WebSocket), in
//! `?access_token=`; it needs the `read` scope. Then:
//!
//! - client: `{"subscribe": ["shroud", …]}` / `{"unsubscribe": […]}`
//! - server: `{"type": "subscribed", "channels": […]}`, then changes such as
//!   `{"type": "leaderboard", "channel": "shroud", "changes": [{"user_id", "points", …}]}`,
//!   `{"type": "clip", "channel": "shroud", "changes": {clip job}}` and
//!   `{"type": "publication", "channel": "shroud", "changes": {publication}}`.
//!   A publication of an asset hosted elsewhere has no channel
//!   (`"channel": null`); it goes to every socket of the org subscribed to
//!   at least one channel.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use wavestack_adapters::auth::{Principal, Scope, Tokens};
use wavestack_adapters::http::{ApiError, ValidQuery};
use wavestack_domain::value::ChannelId;

use super::hub::LiveHub;

const MAX_CHANNELS: usize = 100;
/// A client that cannot take a message within this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// WebSocket close code 1013: try again later.
const TOO_SLOW: u16 = 1013;

#[derive(Clone)]
pub(crate) struct LiveState {
    pub tokens: Arc<Tokens>,
    pub hub: Arc<LiveHub>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    #[serde(default)]
    access_token: Option<String>,
}

pub(crate) async fn live(
    State(state): State<LiveState>,
    headers: HeaderMap,
    ValidQuery(params): ValidQuery<Params>,
    upgrade: WebSocketUpgrade,
) -> Response {
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
    upgrade.on_upgrade(move |socket| serve(socket, principal, state.hub))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientMessage {
    #[serde(default)]
    subscribe: Vec<String>,
    #[serde(default)]
    unsubscribe: Vec<String>,
}

async fn serve(mut socket: WebSocket, principal: Principal, hub: Arc<LiveHub>) {
    let mut events = hub.subscribe();
    let mut channels: HashSet<String> = HashSet::new();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { return };
                let reply = match message {
                    Message::Text(text) => handle(&text, &mut channels),
                    Message::Close(_) => return,
                    _ => continue,
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
                    if event.org != principal.org.as_str() || !wanted {
                        continue;
                    }
                    if send(&mut socket, event.message.clone()).await.is_err() {
                        let _ = close(&mut socket, "too slow: fell behind the live feed").await;
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::info!(missed, "dropping a live client that fell behind");
                    let _ = close(&mut socket, "too slow: fell behind the live feed").await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
        }
    }
}

fn handle(text: &str, channels: &mut HashSet<String>) -> String {
    let error = |message: &str| json!({ "type": "error", "code": "invalid_message", "message": message }).to_string();
    let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
        return error("send {\"subscribe\": [channels]} or {\"unsubscribe\": [channels]}");
    };
    for channel in message.subscribe {
        if ChannelId::parse(channel.as_str()).is_err() {
            return error(&format!("`{channel}` is not a channel id"));
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
    json!({ "type": "subscribed", "channels": list }).to_string()
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

async fn close(socket: &mut WebSocket, reason: &'static str) -> Result<(), axum::Error> {
    socket.send(Message::Close(Some(CloseFrame { code: TOO_SLOW, reason: reason.into() }))).await
}
