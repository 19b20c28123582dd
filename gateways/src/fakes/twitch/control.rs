//! The fake Twitch's control API: what a test outside this process (the
//! browser tests, in Node) makes Twitch do. Not Twitch's: a test's hands.
//!
//! - `POST /sign-in {user_id, login}`: who consents on the authorize page.
//! - `POST /say {broadcaster_id, login, user_id, user_login, text}`: a
//!   viewer says a line in the channel's chat.
//! - `POST /happen {kind, broadcaster_id, event}`: a stream event of the
//!   docs' example, with `event`'s fields set.
//! - `GET /sent`: what Send Chat Message took, in order.
//! - `GET /subscriptions`: the EventSub subscriptions.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Chatter, FakeTwitch};

pub fn control_router(fake: Arc<FakeTwitch>) -> Router {
    Router::new()
        .route("/sign-in", post(sign_in))
        .route("/say", post(say))
        .route("/happen", post(happen))
        .route("/sent", get(sent))
        .route("/subscriptions", get(subscriptions))
        .with_state(fake)
}

#[derive(Debug, Deserialize)]
struct SignIn {
    user_id: String,
    login: String,
}

async fn sign_in(State(fake): State<Arc<FakeTwitch>>, Json(who): Json<SignIn>) -> Response {
    fake.sign_in_as(&who.user_id, &who.login);
    Json(json!({})).into_response()
}

#[derive(Debug, Deserialize)]
struct Say {
    broadcaster_id: String,
    login: String,
    user_id: String,
    user_login: String,
    #[serde(default)]
    badges: Vec<String>,
    text: String,
}

async fn say(State(fake): State<Arc<FakeTwitch>>, Json(said): Json<Say>) -> Response {
    let chatter = Chatter { user_id: said.user_id, login: said.user_login, badges: said.badges };
    let (message_id, delivered) = fake.try_say(&said.broadcaster_id, &said.login, &chatter, &said.text);
    delivered_or_conflict(message_id, delivered)
}

#[derive(Debug, Deserialize)]
struct Happen {
    kind: String,
    broadcaster_id: String,
    #[serde(default)]
    event: serde_json::Map<String, Value>,
}

async fn happen(State(fake): State<Arc<FakeTwitch>>, Json(what): Json<Happen>) -> Response {
    let set = |event: &mut Value| {
        for (field, value) in what.event {
            event[field] = value;
        }
    };
    match fake.try_happen(&what.kind, &what.broadcaster_id, set) {
        Some((message_id, delivered)) => delivered_or_conflict(message_id, delivered),
        None => {
            (StatusCode::BAD_REQUEST, Json(json!({"error": format!("no example of {}", what.kind)}))).into_response()
        }
    }
}

/// 409 when no subscription took it: the test is ahead of the gateway.
fn delivered_or_conflict(message_id: String, delivered: usize) -> Response {
    if delivered == 0 {
        return (StatusCode::CONFLICT, Json(json!({"error": "no subscription is listening"}))).into_response();
    }
    Json(json!({"message_id": message_id, "delivered": delivered})).into_response()
}

async fn sent(State(fake): State<Arc<FakeTwitch>>) -> Response {
    let sent: Vec<Value> = fake
        .sent()
        .into_iter()
        .map(|s| {
            json!({
                "message_id": s.message_id,
                "broadcaster_id": s.broadcaster_id,
                "sender_id": s.sender_id,
                "message": s.message,
                "reply_parent_message_id": s.reply_parent_message_id,
            })
        })
        .collect();
    Json(sent).into_response()
}

async fn subscriptions(State(fake): State<Arc<FakeTwitch>>) -> Response {
    Json(fake.subscriptions()).into_response()
}
