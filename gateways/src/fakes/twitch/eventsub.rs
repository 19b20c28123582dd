//! The fake EventSub WebSocket server.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::state::{now_rfc3339, Outgoing, SessionHandle, Shared};

const LONGEST_KEEPALIVE: u64 = 600;

#[derive(Debug, Deserialize)]
pub(super) struct ConnectQuery {
    keepalive_timeout_seconds: Option<String>,
    reconnect_id: Option<String>,
}

pub(super) async fn connect(
    upgrade: WebSocketUpgrade,
    Query(query): Query<ConnectQuery>,
    State(state): State<Shared>,
) -> Response {
    upgrade.on_upgrade(move |socket| session(socket, query, state))
}

async fn session(mut socket: WebSocket, query: ConnectQuery, state: Shared) {
    let id = format!("fake{}", uuid::Uuid::new_v4().simple());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let keepalive = {
        let mut s = state.lock().unwrap();
        s.sessions_opened += 1;
        let least = s.timings.keepalive.as_secs().max(1);
        // Twitch takes the nearest valid value for an invalid number.
        let asked = query.keepalive_timeout_seconds.as_deref().and_then(|k| k.parse::<u64>().ok());
        let keepalive = Duration::from_secs(asked.unwrap_or(least).clamp(least, LONGEST_KEEPALIVE));
        // A reconnect: the old session's subscriptions move here, and what
        // was sent there last is sent again (at least once, same ids).
        let mut used = false;
        if let Some(old) = query.reconnect_id.as_deref() {
            for sub in s.subscriptions.iter_mut().filter(|sub| sub.session_id == old) {
                sub.session_id = id.clone();
                used = true;
            }
            // A conduit's shard follows its session's reconnect.
            for shard in s.conduits.iter_mut().flat_map(|c| &mut c.shards) {
                if shard.session_id.as_deref() == Some(old) {
                    shard.session_id = Some(id.clone());
                    used = true;
                }
            }
            let again = s.sessions.get_mut(old).map(|o| std::mem::take(&mut o.recent)).unwrap_or_default();
            s.redelivered += again.len();
            for text in again {
                let _ = tx.send(Outgoing::Text(text));
            }
        }
        s.sessions.insert(id.clone(), SessionHandle { tx, used, recent: Default::default() });
        keepalive
    };
    let welcome = json!({
        "metadata": {
            "message_id": uuid::Uuid::new_v4().to_string(),
            "message_type": "session_welcome",
            "message_timestamp": now_rfc3339(),
        },
        "payload": {"session": {
            "id": id,
            "status": "connected",
            "connected_at": now_rfc3339(),
            "keepalive_timeout_seconds": keepalive.as_secs(),
            "reconnect_url": null,
            "recovery_url": null,
        }},
    });
    let closed = serve(&mut socket, &state, &id, keepalive, welcome.to_string(), &mut rx).await;
    if let Some((code, reason)) = closed {
        let frame = CloseFrame { code, reason: reason.into() };
        let _ = socket.send(Message::Close(Some(frame))).await;
    }
    let mut s = state.lock().unwrap();
    s.sessions.remove(&id);
    for sub in s.subscriptions.iter_mut().filter(|sub| sub.session_id == id && sub.status == "enabled") {
        sub.status = "websocket_disconnected".to_owned();
    }
    for shard in s.conduits.iter_mut().flat_map(|c| &mut c.shards) {
        if shard.session_id.as_deref() == Some(id.as_str()) {
            shard.status = "websocket_disconnected".to_owned();
        }
    }
}

/// Runs the session; the close code and reason to end it with, if the
/// server ends it.
async fn serve(
    socket: &mut WebSocket,
    state: &Shared,
    id: &str,
    keepalive: Duration,
    welcome: String,
    rx: &mut mpsc::UnboundedReceiver<Outgoing>,
) -> Option<(u16, &'static str)> {
    socket.send(Message::Text(welcome.into())).await.ok()?;
    let window = tokio::time::sleep(keepalive);
    tokio::pin!(window);
    let mut window_over = false;
    let mut last_sent = Instant::now();
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outgoing::Text(text)) => {
                    socket.send(Message::Text(text.into())).await.ok()?;
                    last_sent = Instant::now();
                }
                Some(Outgoing::Close(code, reason)) => return Some((code, reason)),
                None => return None,
            },
            _ = tokio::time::sleep_until(last_sent + keepalive) => {
                last_sent = Instant::now();
                if !state.lock().unwrap().silent {
                    let frame = json!({
                        "metadata": {
                            "message_id": uuid::Uuid::new_v4().to_string(),
                            "message_type": "session_keepalive",
                            "message_timestamp": now_rfc3339(),
                        },
                        "payload": {},
                    });
                    socket.send(Message::Text(frame.to_string().into())).await.ok()?;
                }
            }
            _ = &mut window, if !window_over => {
                window_over = true;
                let used = state.lock().unwrap().sessions.get(id).is_some_and(|s| s.used);
                if !used {
                    return Some((4003, "connection unused"));
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return None,
                Some(Ok(Message::Pong(_))) => {}
                // Only pongs may come from a client.
                Some(Ok(_)) => return Some((4001, "sent inbound traffic")),
            },
        }
    }
}
