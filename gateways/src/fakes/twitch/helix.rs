//! The fake Helix endpoints: EventSub subscriptions, Send Chat Message,
//! Delete Chat Messages, Ban User and Unban User, as the API reference
//! gives their requests, answers, scopes and rate-limit headers.

// A refusal is the response itself; a test fake need not box it.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::state::{
    now_rfc3339, subscription_json, Ban, SentChat, SentWhisper, Shared, State as FakeState, Subscription, TokenInfo,
};

/// Helix's bucket size, reported in `Ratelimit-Limit`.
const BUCKET: u32 = 800;
/// Send Chat Message's longest message, in characters.
const LONGEST_MESSAGE: usize = 500;
/// Ban User's longest timeout: two weeks.
const LONGEST_TIMEOUT: u32 = 1_209_600;

/// Helix's error body.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "error": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "message": message.into(),
    });
    (status, Json(body)).into_response()
}

/// The caller's token, checked as Helix does: a valid bearer token, the
/// matching Client-Id, the scope; then the rate limit.
pub(super) fn authorize(headers: &HeaderMap, state: &mut FakeState, scope: &str) -> Result<TokenInfo, Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "OAuth token is missing"))?;
    let info = state
        .tokens
        .get(token)
        .filter(|t| t.usable())
        .cloned()
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Invalid OAuth token"))?;
    let client_id = headers.get("client-id").and_then(|v| v.to_str().ok());
    if client_id != Some(state.client_id.as_str()) {
        return Err(error(StatusCode::UNAUTHORIZED, "Client ID and OAuth token do not match"));
    }
    if !scope.is_empty() && !info.scopes.contains(scope) {
        return Err(error(StatusCode::UNAUTHORIZED, format!("Missing scope: {scope}")));
    }
    if state.rate_limited > 0 {
        state.rate_limited -= 1;
        state.refused_for_rate += 1;
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
        rate_headers(&mut response, 0);
        return Err(response);
    }
    Ok(info)
}

fn rate_headers(response: &mut Response, remaining: u32) {
    let reset = time::OffsetDateTime::now_utc().unix_timestamp() + 1;
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(BUCKET));
    headers.insert("ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(reset));
}

pub(super) fn ok(status: StatusCode, body: Option<Value>) -> Response {
    let mut response = match body {
        Some(body) => (status, Json(body)).into_response(),
        None => status.into_response(),
    };
    rate_headers(&mut response, BUCKET - 1);
    response
}

/// A body with exactly the documented fields, or a 400 naming the fault.
pub(super) fn parse<T: for<'de> Deserialize<'de>>(body: &str) -> Result<T, Response> {
    serde_json::from_str(body).map_err(|e| error(StatusCode::BAD_REQUEST, format!("Invalid request body: {e}")))
}

/// Query parameters: exactly `names`, each once, none empty.
pub(super) fn query<'a>(raw: &'a HashMap<String, String>, names: &[&str]) -> Result<Vec<&'a str>, Response> {
    if let Some(extra) = raw.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(error(StatusCode::BAD_REQUEST, format!("Unknown parameter: {extra}")));
    }
    names
        .iter()
        .map(|name| {
            raw.get(*name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| error(StatusCode::BAD_REQUEST, format!("Missing required parameter \"{name}\"")))
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSubscription {
    #[serde(rename = "type")]
    kind: String,
    version: String,
    condition: Value,
    transport: Transport,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transport {
    method: String,
    session_id: Option<String>,
    callback: Option<String>,
    secret: Option<String>,
    conduit_id: Option<String>,
}

/// The subscription types the fake knows: version, required condition
/// fields, optional ones, the scope the token needs ("" for none), and the
/// condition field the token's user must be (Twitch: "the user in the
/// access token must be the broadcaster" or the moderator named).
struct SubscriptionType {
    version: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
    scope: &'static str,
    authorizer: Option<&'static str>,
}

fn subscription_type(kind: &str) -> Option<SubscriptionType> {
    let of = |version, required, optional, scope, authorizer| {
        Some(SubscriptionType { version, required, optional, scope, authorizer })
    };
    let broadcaster: &[&str] = &["broadcaster_user_id"];
    match kind {
        "channel.chat.message" => of("1", &["broadcaster_user_id", "user_id"], &[], "user:read:chat", Some("user_id")),
        "channel.follow" => of(
            "2",
            &["broadcaster_user_id", "moderator_user_id"],
            &[],
            "moderator:read:followers",
            Some("moderator_user_id"),
        ),
        "channel.subscribe" | "channel.subscription.gift" | "channel.subscription.message" => {
            of("1", broadcaster, &[], "channel:read:subscriptions", Some("broadcaster_user_id"))
        }
        "channel.cheer" => of("1", broadcaster, &[], "bits:read", Some("broadcaster_user_id")),
        "channel.channel_points_custom_reward_redemption.add" => {
            of("1", broadcaster, &["reward_id"], "channel:read:redemptions", Some("broadcaster_user_id"))
        }
        // One of the two, in the real API; the fake takes the receiving side.
        "channel.raid" => of("1", &["to_broadcaster_user_id"], &[], "", None),
        "stream.online" | "stream.offline" => of("1", broadcaster, &[], "", None),
        "channel.chat.message_delete" | "channel.chat.clear" | "channel.chat.notification" => {
            of("1", &["broadcaster_user_id", "user_id"], &[], "user:read:chat", Some("user_id"))
        }
        _ => None,
    }
}

pub(super) async fn create_subscription(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let request: CreateSubscription = match parse(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let mut s = state.lock().unwrap();
    let Some(kind) = subscription_type(&request.kind) else {
        return error(StatusCode::BAD_REQUEST, format!("unsupported subscription type {}", request.kind));
    };
    // A webhook or conduit subscription is made with an app token: the
    // scope is then the authorizing user's grant to the application, not
    // the token's.
    let webhook = request.transport.method == "webhook";
    let by_app = webhook || request.transport.method == "conduit";
    let token = match authorize(&headers, &mut s, if by_app { "" } else { kind.scope }) {
        Ok(token) => token,
        Err(refused) => return refused,
    };
    if request.version != kind.version {
        return error(StatusCode::BAD_REQUEST, format!("unsupported version {} of {}", request.version, request.kind));
    }
    let Some(condition) = request.condition.as_object() else {
        return error(StatusCode::BAD_REQUEST, "condition must be an object");
    };
    let known = |f: &String| kind.required.contains(&f.as_str()) || kind.optional.contains(&f.as_str());
    let strings = condition.values().all(Value::is_string);
    if !strings || !condition.keys().all(known) || kind.required.iter().any(|f| !condition.contains_key(*f)) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("condition must hold {:?} (and may hold {:?})", kind.required, kind.optional),
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    let (method, session_id, callback) = match request.transport.method.as_str() {
        "websocket" => {
            if token.app {
                return error(StatusCode::BAD_REQUEST, "websocket transport requires a user access token");
            }
            if let Some(field) = kind.authorizer {
                if condition.get(field).and_then(Value::as_str) != Some(token.user_id.as_str()) {
                    return error(StatusCode::FORBIDDEN, format!("{field} must match the user in the access token"));
                }
            }
            let Some(session_id) = request.transport.session_id else {
                return error(StatusCode::BAD_REQUEST, "transport.session_id is required for websocket");
            };
            let Some(session) = s.sessions.get_mut(&session_id) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "websocket transport session does not exist or has already disconnected",
                );
            };
            session.used = true;
            ("websocket", session_id, None::<(String, String)>)
        }
        "webhook" | "conduit" => {
            if !token.app {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("{} transport requires an app access token", request.transport.method),
                );
            }
            if let Some(field) = kind.authorizer {
                let user = condition.get(field).and_then(Value::as_str).unwrap_or_default();
                let granted = s.authorizations.get(user).is_some_and(|scopes| scopes.contains(kind.scope));
                if !granted {
                    return error(
                        StatusCode::FORBIDDEN,
                        format!("{field} has not authorized the app with {}", kind.scope),
                    );
                }
            }
            if request.transport.method == "conduit" {
                let conduit = request.transport.conduit_id.clone().unwrap_or_default();
                if !s.conduits.iter().any(|c| c.id == conduit) {
                    return error(StatusCode::BAD_REQUEST, "transport.conduit_id names no conduit of the client");
                }
                ("conduit", String::new(), None)
            } else {
                let (Some(callback), Some(secret)) = (request.transport.callback, request.transport.secret) else {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "transport.callback and transport.secret are required for webhook",
                    );
                };
                // Twitch takes only https on port 443; the fake takes a local
                // http address too, since a test has no certificate.
                if url::Url::parse(&callback).map_or(true, |u| !matches!(u.scheme(), "https" | "http")) {
                    return error(StatusCode::BAD_REQUEST, "transport.callback must be an https URL");
                }
                if !(10..=100).contains(&secret.len()) || !secret.is_ascii() {
                    return error(StatusCode::BAD_REQUEST, "transport.secret must be 10 to 100 ASCII characters");
                }
                ("webhook", String::new(), Some((callback, secret)))
            }
        }
        other => return error(StatusCode::BAD_REQUEST, format!("unsupported transport method {other}")),
    };
    let duplicate = s.subscriptions.iter().any(|sub| {
        sub.kind == request.kind
            && matches!(sub.status.as_str(), "enabled" | "webhook_callback_verification_pending")
            && sub.condition == request.condition
            && sub.method == method
            && sub.session_id == session_id
            && sub.callback.as_ref() == callback.as_ref().map(|(url, _)| url)
            && sub.conduit_id == request.transport.conduit_id
    });
    if duplicate {
        return error(StatusCode::CONFLICT, "subscription already exists");
    }
    let callback = callback.map(|(url, secret)| {
        s.webhook_secrets.insert(id.clone(), secret);
        url
    });
    let subscription = Subscription {
        id,
        kind: request.kind,
        version: request.version,
        condition: request.condition,
        method: method.to_owned(),
        session_id,
        callback,
        conduit_id: if method == "conduit" { request.transport.conduit_id } else { None },
        status: if webhook { "webhook_callback_verification_pending" } else { "enabled" }.to_owned(),
        created_at: now_rfc3339(),
        created_by: token.user_id.clone(),
    };
    if webhook {
        let challenge = format!("challenge-{}", uuid::Uuid::new_v4().simple());
        let body = json!({"challenge": challenge, "subscription": subscription_json(&subscription)});
        s.post_webhook(&subscription, "webhook_callback_verification", uuid::Uuid::new_v4().to_string(), body);
    }
    let body = json!({
        "data": [subscription_json(&subscription)],
        "total": s.subscriptions.len() + 1,
        "total_cost": 0,
        "max_total_cost": 10_000,
    });
    s.subscriptions.push(subscription);
    ok(StatusCode::ACCEPTED, Some(body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendChatMessage {
    broadcaster_id: String,
    sender_id: String,
    message: String,
    reply_parent_message_id: Option<String>,
}

pub(super) async fn send_chat_message(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let request: SendChatMessage = match parse(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let mut s = state.lock().unwrap();
    let token = match authorize(&headers, &mut s, "user:write:chat") {
        Ok(token) => token,
        Err(refused) => return refused,
    };
    if request.sender_id != token.user_id {
        return error(StatusCode::FORBIDDEN, "The sender must have authorized the app with the user:write:chat scope");
    }
    let length = request.message.chars().count();
    if length == 0 || length > LONGEST_MESSAGE {
        return error(StatusCode::BAD_REQUEST, format!("message must be 1 to {LONGEST_MESSAGE} characters"));
    }
    if let Some(parent) = &request.reply_parent_message_id {
        if !s.known_messages.contains(parent) {
            return error(StatusCode::BAD_REQUEST, "The reply_parent_message_id was not found");
        }
    }
    if s.dropping > 0 {
        s.dropping -= 1;
        let reason =
            json!({"code": "msg_rejected", "message": "Your message is being checked by mods and has not been sent."});
        return ok(
            StatusCode::OK,
            Some(json!({"data": [{"message_id": "", "is_sent": false, "drop_reason": reason}]})),
        );
    }
    let message_id = uuid::Uuid::new_v4().to_string();
    s.known_messages.insert(message_id.clone());
    s.sent.push(SentChat {
        received_at: std::time::Instant::now(),
        message_id: message_id.clone(),
        broadcaster_id: request.broadcaster_id,
        sender_id: request.sender_id,
        message: request.message,
        reply_parent_message_id: request.reply_parent_message_id,
    });
    ok(StatusCode::OK, Some(json!({"data": [{"message_id": message_id, "is_sent": true, "drop_reason": null}]})))
}

/// A moderation call's checks: the token (with `scope`), exactly the query
/// parameters `names` (`names[1]` is `moderator_id`), and the moderator
/// being the token's user. The parameters' values, in `names`' order.
fn as_moderator<'r>(
    headers: &HeaderMap,
    state: &mut FakeState,
    raw: &'r HashMap<String, String>,
    scope: &str,
    names: &[&str],
) -> Result<Vec<&'r str>, Response> {
    let token = authorize(headers, state, scope)?;
    let values = query(raw, names)?;
    if values[1] != token.user_id {
        return Err(error(StatusCode::FORBIDDEN, "moderator_id must match the user in the access token"));
    }
    Ok(values)
}

pub(super) async fn delete_chat_messages(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    let values = match as_moderator(
        &headers,
        &mut s,
        &raw,
        "moderator:manage:chat_messages",
        &["broadcaster_id", "moderator_id", "message_id"],
    ) {
        Ok(values) => values,
        Err(refused) => return refused,
    };
    if !s.known_messages.contains(values[2]) {
        return error(StatusCode::NOT_FOUND, "The ID in message_id was not found");
    }
    let deleted = values[2].to_owned();
    s.deleted.push(deleted);
    ok(StatusCode::NO_CONTENT, None)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BanBody {
    data: BanData,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BanData {
    user_id: String,
    duration: Option<u32>,
    reason: Option<String>,
}

pub(super) async fn ban_user(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let mut s = state.lock().unwrap();
    let values = match as_moderator(
        &headers,
        &mut s,
        &raw,
        "moderator:manage:banned_users",
        &["broadcaster_id", "moderator_id"],
    ) {
        Ok(values) => values,
        Err(refused) => return refused,
    };
    let request: BanBody = match parse(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    if request.data.duration.is_some_and(|d| d == 0 || d > LONGEST_TIMEOUT) {
        return error(StatusCode::BAD_REQUEST, format!("duration must be 1 to {LONGEST_TIMEOUT}"));
    }
    let (broadcaster_id, moderator_id) = (values[0].to_owned(), values[1].to_owned());
    s.bans.push(Ban {
        broadcaster_id: broadcaster_id.clone(),
        moderator_id: moderator_id.clone(),
        user_id: request.data.user_id.clone(),
        duration: request.data.duration,
        reason: request.data.reason.unwrap_or_default(),
    });
    let body = json!({"data": [{
        "broadcaster_id": broadcaster_id,
        "moderator_id": moderator_id,
        "user_id": request.data.user_id,
        "created_at": now_rfc3339(),
        "end_time": null,
    }]});
    ok(StatusCode::OK, Some(body))
}

pub(super) async fn unban_user(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    let values = match as_moderator(
        &headers,
        &mut s,
        &raw,
        "moderator:manage:banned_users",
        &["broadcaster_id", "moderator_id", "user_id"],
    ) {
        Ok(values) => values,
        Err(refused) => return refused,
    };
    let user = values[2].to_owned();
    s.bans.retain(|ban| ban.user_id != user);
    ok(StatusCode::NO_CONTENT, None)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendWhisper {
    message: String,
}

/// Send Whisper: the sender is the token's user; 500 characters to someone
/// whispered for the first time (10,000 after); `204` with no body.
pub(super) async fn send_whisper(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(raw): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let ids = match query(&raw, &["from_user_id", "to_user_id"]) {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let (from, to) = (ids[0].to_owned(), ids[1].to_owned());
    let request: SendWhisper = match parse(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    let mut s = state.lock().unwrap();
    let token = match authorize(&headers, &mut s, "user:manage:whispers") {
        Ok(token) => token,
        Err(refused) => return refused,
    };
    if from != token.user_id {
        return error(StatusCode::UNAUTHORIZED, "The ID in from_user_id must match the user ID in the access token");
    }
    if from == to {
        return error(StatusCode::BAD_REQUEST, "The user in to_user_id is the sender");
    }
    let known = s.whispers.iter().any(|w| w.from_user_id == from && w.to_user_id == to);
    let longest = if known { 10_000 } else { 500 };
    let length = request.message.chars().count();
    if length == 0 || length > longest {
        return error(StatusCode::BAD_REQUEST, format!("message must be 1 to {longest} characters"));
    }
    s.whispers.push(SentWhisper { from_user_id: from, to_user_id: to, message: request.message });
    ok(StatusCode::NO_CONTENT, None)
}
