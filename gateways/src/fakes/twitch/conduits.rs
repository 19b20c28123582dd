//! The fake conduits (dev.twitch.tv, "Conduits" API reference and "Getting
//! Events Using Conduits"): Get, Create and Update Conduits, Get and
//! Update Conduit Shards, with WebSocket shards. App access tokens only,
//! as Twitch requires. A conduit's notifications are spread over its
//! enabled shards in turn; a shard whose session closes is disabled
//! (`websocket_disconnected`) until it is assigned a session again.

// A refusal is the response itself; a test fake need not box it.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::helix::{authorize, error, ok, parse, query};
use super::state::{now_rfc3339, Shared, State as FakeState};

/// Twitch's limits: five enabled conduits per client, 20,000 shards each.
const MOST_CONDUITS: usize = 5;
const MOST_SHARDS: u32 = 20_000;

/// One conduit and its shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conduit {
    pub id: String,
    pub shards: Vec<Shard>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    pub id: String,
    /// `enabled`, `websocket_disconnected`, or never assigned (`disabled`
    /// in the fake's words).
    pub status: String,
    pub session_id: Option<String>,
}

impl Conduit {
    fn new(shard_count: u32) -> Self {
        let mut conduit = Self { id: uuid::Uuid::new_v4().to_string(), shards: Vec::new() };
        conduit.resize(shard_count);
        conduit
    }

    fn resize(&mut self, shard_count: u32) {
        self.shards.truncate(shard_count as usize);
        while self.shards.len() < shard_count as usize {
            let id = self.shards.len().to_string();
            self.shards.push(Shard { id, status: "disabled".to_owned(), session_id: None });
        }
    }

    fn json(&self) -> Value {
        json!({"id": self.id, "shard_count": self.shards.len()})
    }
}

fn app_only(headers: &HeaderMap, s: &mut FakeState) -> Result<(), Response> {
    let token = authorize(headers, s, "")?;
    if !token.app {
        return Err(error(StatusCode::UNAUTHORIZED, "Authorization header required with an app access token"));
    }
    Ok(())
}

fn shard_count(raw: &Value) -> Result<u32, Response> {
    raw.as_u64()
        .filter(|n| (1..=u64::from(MOST_SHARDS)).contains(n))
        .map(|n| n as u32)
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, format!("shard_count must be 1 to {MOST_SHARDS}")))
}

pub(super) async fn get_conduits(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let mut s = state.lock().unwrap();
    if let Err(refused) = app_only(&headers, &mut s) {
        return refused;
    }
    let data: Vec<Value> = s.conduits.iter().map(Conduit::json).collect();
    ok(StatusCode::OK, Some(json!({ "data": data })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateConduit {
    shard_count: Value,
}

pub(super) async fn create_conduit(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mut s = state.lock().unwrap();
    if let Err(refused) = app_only(&headers, &mut s) {
        return refused;
    }
    let request: CreateConduit = match parse(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let count = match shard_count(&request.shard_count) {
        Ok(count) => count,
        Err(refused) => return refused,
    };
    if s.conduits.len() >= MOST_CONDUITS {
        return error(StatusCode::TOO_MANY_REQUESTS, "the client has the most conduits it may have");
    }
    let conduit = Conduit::new(count);
    let body = json!({ "data": [conduit.json()] });
    s.conduits.push(conduit);
    ok(StatusCode::OK, Some(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateConduit {
    id: String,
    shard_count: Value,
}

pub(super) async fn update_conduit(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mut s = state.lock().unwrap();
    if let Err(refused) = app_only(&headers, &mut s) {
        return refused;
    }
    let request: UpdateConduit = match parse(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let count = match shard_count(&request.shard_count) {
        Ok(count) => count,
        Err(refused) => return refused,
    };
    let Some(conduit) = s.conduits.iter_mut().find(|c| c.id == request.id) else {
        return error(StatusCode::NOT_FOUND, "Conduit not found");
    };
    conduit.resize(count);
    let body = json!({ "data": [conduit.json()] });
    ok(StatusCode::OK, Some(body))
}

pub(super) async fn get_shards(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    if let Err(refused) = app_only(&headers, &mut s) {
        return refused;
    }
    let conduit_id = match query(&raw, &["conduit_id"]) {
        Ok(values) => values[0].to_owned(),
        Err(refused) => return refused,
    };
    let Some(conduit) = s.conduits.iter().find(|c| c.id == conduit_id) else {
        return error(StatusCode::NOT_FOUND, "Conduit not found");
    };
    let data: Vec<Value> = conduit
        .shards
        .iter()
        .map(|shard| {
            json!({
                "id": shard.id,
                "status": shard.status,
                "transport": {"method": "websocket", "session_id": shard.session_id},
            })
        })
        .collect();
    ok(StatusCode::OK, Some(json!({ "data": data, "pagination": {} })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateShards {
    conduit_id: String,
    shards: Vec<ShardUpdate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardUpdate {
    id: String,
    transport: ShardTransport,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardTransport {
    method: String,
    session_id: Option<String>,
    callback: Option<String>,
    secret: Option<String>,
}

pub(super) async fn update_shards(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let mut s = state.lock().unwrap();
    if let Err(refused) = app_only(&headers, &mut s) {
        return refused;
    }
    let request: UpdateShards = match parse(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let Some(index) = s.conduits.iter().position(|c| c.id == request.conduit_id) else {
        return error(StatusCode::NOT_FOUND, "Conduit not found");
    };
    let (mut data, mut errors) = (Vec::new(), Vec::new());
    for update in request.shards {
        let refusal = |message: &str, code: &str| json!({"id": update.id, "message": message, "code": code});
        if update.transport.method != "websocket"
            || update.transport.callback.is_some()
            || update.transport.secret.is_some()
        {
            errors.push(refusal("the fake takes WebSocket shards only", "invalid_transport"));
            continue;
        }
        let Some(session_id) = update.transport.session_id else {
            errors.push(refusal("transport.session_id is required for websocket", "missing_session_id"));
            continue;
        };
        // A session serves one shard, and must be one the fake has open.
        let taken = s
            .conduits
            .iter()
            .flat_map(|c| &c.shards)
            .any(|shard| shard.session_id.as_deref() == Some(session_id.as_str()) && shard.id != update.id);
        let Some(session) = s.sessions.get_mut(&session_id).filter(|_| !taken) else {
            errors.push(refusal(
                "The websocket session is not connected or is used by another shard",
                "websocket_session_not_found",
            ));
            continue;
        };
        session.used = true;
        let Some(shard) = s.conduits[index].shards.iter_mut().find(|shard| shard.id == update.id) else {
            errors.push(refusal("Shard not found", "shard_not_found"));
            continue;
        };
        shard.status = "enabled".to_owned();
        shard.session_id = Some(session_id.clone());
        data.push(json!({
            "id": shard.id,
            "status": "enabled",
            "transport": {"method": "websocket", "session_id": session_id, "connected_at": now_rfc3339()},
        }));
    }
    ok(StatusCode::ACCEPTED, Some(json!({ "data": data, "errors": errors })))
}
