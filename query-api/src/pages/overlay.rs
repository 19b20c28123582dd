//! `/overlay/api/state` and `/overlay/api/live`: what an OBS overlay reads,
//! with a per-channel, read-only overlay key instead of a token. A key is
//! checked against the org's team stream on every read and every two
//! seconds on a live socket, so a revoked key stops its overlays at once;
//! it opens nothing but its own channel's overlay data.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use wavestack_adapters::auth::overlay_key_digest;
use wavestack_adapters::http::ApiError;
use wavestack_domain::value::{ChannelRef, OrgId};
use wavestack_projections::leaderboard::{self, Window};
use wavestack_projections::queue::{self, ClipFilter};
use wavestack_projections::{alerts, community, ProjectionKind};

use super::recent_chat::recent_chat;
use super::session::team_of;
use super::PagesState;
use crate::live::{close, LiveEvent, LISTEN_WAIT, TRY_AGAIN_LATER};

/// How often a live overlay's key is checked again.
const RECHECK: Duration = Duration::from_secs(2);
/// Close code of a socket whose key was revoked (4000–4999: the app's own).
const KEY_REVOKED: u16 = 4003;
const KINDS: [&str; 6] = ["leaderboard", "chat", "poll", "giveaway", "clip", "alerts"];

/// The overlay a request is for: its org and channel, and that its key is
/// a live key of that channel.
#[derive(Debug, Clone)]
struct Overlay {
    org: OrgId,
    channel: ChannelRef,
}

fn refused(code: &'static str, message: &'static str) -> ApiError {
    ApiError::unauthorized(code, message)
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid_field(name, "is required"))
}

/// Whether `key` opens `org`'s overlays of `channel`. Every refusal for a
/// key that is not a live key of the org reads the same.
async fn open(state: &PagesState, params: &HashMap<String, String>, key: &str) -> Result<Overlay, ApiError> {
    let org = OrgId::parse(param(params, "org")?.to_owned()).map_err(|e| ApiError::invalid_value("org", &e))?;
    let channel = ChannelRef::parse(param(params, "channel")?).map_err(|e| ApiError::invalid_value("channel", &e))?;
    if key.is_empty() {
        return Err(refused("missing_overlay_key", "send the overlay key (`key` or X-Overlay-Key)"));
    }
    let team = team_of(state, &org).await?;
    let Some((_, live)) = team.live_overlay_key(&overlay_key_digest(key)) else {
        return Err(refused("overlay_key_revoked", "this overlay key is not (or no longer) valid"));
    };
    if live.channel != channel {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_channel",
            "this overlay key reads only its own channel",
        ));
    }
    Ok(Overlay { org, channel })
}

/// Before the key is looked up: junk keys from one address cost little.
fn admit(state: &PagesState, remote: SocketAddr) -> Result<(), ApiError> {
    state.overlay_limit.check(&remote.ip().to_string(), 1).map_err(ApiError::too_many_requests)
}

fn presented_key<'a>(headers: &'a HeaderMap, params: &'a HashMap<String, String>) -> &'a str {
    headers
        .get("x-overlay-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| params.get("key").map(String::as_str))
        .unwrap_or("")
}

fn count(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    match params.get("count") {
        None => Ok(10),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(|| ApiError::invalid_field("count", "must be 1 to 50")),
    }
}

/// The alerts overlay's place: the last alert it has shown (0 for none).
fn after(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    match params.get("after") {
        None => Ok(0),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid_field("after", "must be a whole number from 0")),
    }
}

/// What one overlay shows now.
pub(crate) async fn overlay_state(
    State(state): State<PagesState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    admit(&state, remote)?;
    let overlay = open(&state, &params, presented_key(&headers, &params)).await?;
    let kind = param(&params, "kind")?;
    if !KINDS.contains(&kind) {
        return Err(ApiError::invalid_field("kind", "must be leaderboard, chat, poll, giveaway, clip or alerts"));
    }
    let count = count(&params)?;
    let org = overlay.org.as_str();
    let channel = overlay.channel.channel.as_str();
    let whole = overlay.channel.to_string();
    let pool = &state.pool;
    let body = match kind {
        "leaderboard" => {
            let schema = ProjectionKind::Leaderboard.live_schema();
            let entries = leaderboard::read(pool, &schema, org, channel, Window::AllTime, 0, count)
                .await
                .map_err(ApiError::internal)?;
            let entries: Vec<_> = entries
                .iter()
                .map(|e| json!({ "rank": e.rank, "user_id": e.user_id, "author": e.author, "points": e.points }))
                .collect();
            json!({ "entries": entries })
        }
        "poll" => {
            let schema = ProjectionKind::Community.live_schema();
            let polls = community::polls(pool, &schema, org, 50).await.map_err(ApiError::internal)?;
            let poll = polls
                .into_iter()
                .find(|p| p.channels.contains(&whole))
                .map(|p| json!({ "question": p.question, "options": p.options, "counts": p.counts, "phase": p.phase }));
            json!({ "poll": poll })
        }
        "giveaway" => {
            let schema = ProjectionKind::Community.live_schema();
            let giveaways = community::giveaways(pool, &schema, org, 50).await.map_err(ApiError::internal)?;
            let giveaway = giveaways.into_iter().find(|g| g.channels.contains(&whole)).map(|g| {
                json!({
                    "title": g.title, "keyword": g.keyword, "entries": g.entries, "phase": g.phase,
                    "winners": shown_winners(&g.winners),
                })
            });
            json!({ "giveaway": giveaway })
        }
        "alerts" => {
            let schema = ProjectionKind::Alerts.live_schema();
            let platform = overlay.channel.platform.as_str();
            let (alerts, latest) = alerts::alerts(pool, &schema, (org, platform, channel), after(&params)?, count)
                .await
                .map_err(ApiError::internal)?;
            json!({ "alerts": alerts, "latest": latest })
        }
        "clip" => {
            let schema = ProjectionKind::Queue.live_schema();
            let filter = ClipFilter { status: Some("rendered".into()), channel: Some(channel.to_owned()) };
            let mut conn = pool.acquire().await.map_err(|e| ApiError::internal(e.into()))?;
            let page = queue::clips(&mut conn, &schema, org, &filter, None, 1).await.map_err(ApiError::internal)?;
            let clip = page.clips.into_iter().next().map(|c| {
                json!({ "clip_id": c.clip_id, "title": c.title, "media_uri": c.media_uri, "thumbnail_uri": c.thumbnail_uri })
            });
            json!({ "clip": clip })
        }
        _ => {
            let lines =
                recent_chat(pool, &overlay.org, &overlay.channel, count as usize).await.map_err(ApiError::internal)?;
            json!({ "messages": lines })
        }
    };
    Ok(Json(body).into_response())
}

/// A giveaway's winners as the overlay names them: the name shown in chat
/// and the account, nothing else the read model keeps of them.
fn shown_winners(winners: &serde_json::Value) -> Vec<serde_json::Value> {
    let Some(list) = winners.as_array() else { return Vec::new() };
    list.iter().map(|w| json!({ "author": w.get("author"), "account": w.get("account") })).collect()
}

/// The overlay's channel on the live feed, for as long as its key lives.
pub(crate) async fn overlay_live(
    State(state): State<PagesState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(refused) = admit(&state, remote) {
        return refused.into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return ApiError::websocket_required(rejection.body_text()).into_response(),
    };
    let key = presented_key(&headers, &params).to_owned();
    let overlay = match open(&state, &params, &key).await {
        Ok(overlay) => overlay,
        Err(error) => return error.into_response(),
    };
    upgrade.max_message_size(4096).on_upgrade(move |socket| serve(socket, state, params, key, overlay))
}

async fn serve(
    mut socket: WebSocket,
    state: PagesState,
    params: HashMap<String, String>,
    key: String,
    overlay: Overlay,
) {
    let mut events = state.hub.subscribe(overlay.org.as_str());
    // "subscribed" only once the hub listens: what is notified before is lost.
    if tokio::time::timeout(LISTEN_WAIT, state.hub.listening()).await.is_err() {
        let _ = close(&mut socket, TRY_AGAIN_LATER, "the live feed is not connected yet").await;
        return;
    }
    // From here on nothing of the channel is missed: say so.
    let subscribed = json!({ "type": "subscribed", "channel": overlay.channel.to_string() }).to_string();
    if socket.send(Message::Text(subscribed.into())).await.is_err() {
        return;
    }
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    loop {
        tokio::select! {
            _ = recheck.tick() => match open(&state, &params, &key).await {
                Ok(_) => {}
                // Refused: the key is gone, and the overlay stops for good.
                Err(refusal) if refusal.status.is_client_error() => {
                    let _ = socket.send(Message::Text(json!({ "type": "revoked" }).to_string().into())).await;
                    let _ = close(&mut socket, KEY_REVOKED, "overlay key revoked").await;
                    return;
                }
                // The check itself failed (Postgres away, this process
                // stopping): that says nothing of the key. Told "revoked",
                // an overlay stopped for good at every restart; asked to
                // come back, it reconnects and is checked again.
                Err(_) => {
                    let _ = close(&mut socket, TRY_AGAIN_LATER, "the key could not be checked; reconnect").await;
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                // An overlay only listens; anything it says is ignored.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            event = events.recv() => match event {
                Ok(event) => {
                    let Some(message) = for_overlay(&event, &overlay) else { continue };
                    let sent = tokio::time::timeout(Duration::from_secs(5), socket.send(Message::Text(message.into())));
                    if !matches!(sent.await, Ok(Ok(()))) {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // Behind: tell it to read its state afresh, and go on.
                    let nudge = json!({ "type": "resync" }).to_string();
                    if socket.send(Message::Text(nudge.into())).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
        }
    }
}

/// What of a live change an overlay is sent. Chat as the chat box shows
/// it; anything else only as "read your state afresh", since the state
/// read gives just what an overlay shows (a clip job's source, requester
/// and errors, a publication's unpublished caption are not for an
/// overlay key). Nothing of another org, of another platform's channel of
/// the same name, or of a kind no overlay shows (publications).
fn for_overlay(event: &LiveEvent, overlay: &Overlay) -> Option<String> {
    if event.org != overlay.org.as_str() {
        return None;
    }
    if event.is_resync() {
        return Some(event.message.clone());
    }
    let platform = overlay.channel.platform.as_str();
    if event.channel.as_deref() != Some(overlay.channel.channel.as_str())
        || event.platform.as_deref().is_some_and(|p| p != platform)
    {
        return None;
    }
    match event.kind.as_str() {
        "chat" | "chat_removed" => Some(event.message.clone()),
        "leaderboard" | "poll" | "giveaway" | "clip" | "alerts" => {
            Some(json!({ "type": event.kind, "channel": event.channel }).to_string())
        }
        _ => None,
    }
}
