//! The webhook callback, `POST /webhooks/twitch/eventsub`: where Twitch
//! posts the deployment's EventSub deliveries, to any of its processes.
//!
//! - Nothing is read before the signature and the freshness hold
//!   ([`WebhookVerifier`]): a forged or stale delivery is refused 403, one
//!   missing a header 400, each with a stable code and the header at fault.
//! - The challenge of a new subscription is answered with itself.
//! - A notification or a revocation is stored in the platform inbox for
//!   the channel's lease holder before the answer (204): a store that
//!   cannot take it answers 503, and Twitch sends it again.
//! - A message id seen lately is a redelivery: acknowledged (204, as
//!   Twitch asks, so it stops retrying) and not stored or heard again.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use wavestack_adapters::http::ApiError;
use wavestack_adapters::platform_inbox::{Delivery as Stored, PlatformInbox};

use super::inbox::addressed;
use super::webhook::{self, Delivery, Refused, WebhookVerifier};

/// Where the callback is served.
pub const CALLBACK_PATH: &str = "/webhooks/twitch/eventsub";

#[derive(Debug, Clone)]
struct Callback {
    verifier: Arc<WebhookVerifier>,
    inbox: PlatformInbox,
}

/// The callback's route, to be served where Twitch reaches the deployment.
pub fn callback_router(verifier: WebhookVerifier, inbox: PlatformInbox) -> Router {
    Router::new().route(CALLBACK_PATH, post(deliver)).with_state(Callback { verifier: Arc::new(verifier), inbox })
}

/// What a delivery's body says, as far as routing it needs.
#[derive(Debug, Deserialize)]
struct Body {
    subscription: Subscription,
    #[serde(default)]
    event: Option<Value>,
    #[serde(default)]
    challenge: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Subscription {
    #[serde(rename = "type")]
    kind: String,
    condition: Value,
}

async fn deliver(State(callback): State<Callback>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let delivery = match callback.verifier.verify(header, &body, OffsetDateTime::now_utc()) {
        Ok(delivery) => delivery,
        Err(refused) => return refusal(&refused).into_response(),
    };
    let (message_id, message_type) = match delivery {
        Delivery::Redelivered { .. } => return StatusCode::NO_CONTENT.into_response(),
        Delivery::Notification { message_id } => (message_id, "notification"),
        Delivery::Verification { message_id } => (message_id, "webhook_callback_verification"),
        Delivery::Revocation { message_id } => (message_id, "revocation"),
    };
    let parsed: Body = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(error) => return ApiError::malformed_json(format!("not an EventSub delivery: {error}")).into_response(),
    };
    let stored = match message_type {
        "webhook_callback_verification" => {
            let Some(challenge) = parsed.challenge else {
                return ApiError::invalid_field("challenge", "a verification carries a challenge").into_response();
            };
            tracing::info!(kind = parsed.subscription.kind, "EventSub: a webhook subscription was verified");
            return ([(header::CONTENT_TYPE, "text/plain")], challenge).into_response();
        }
        "revocation" => Stored {
            message_id,
            kind: "revocation".to_owned(),
            sent_at: header(webhook::MESSAGE_TIMESTAMP).map(str::to_owned),
            body: serde_json::from_slice::<Value>(&body).map(|b| b["subscription"].clone()).unwrap_or_default(),
        },
        _ => {
            let Some(event) = parsed.event else {
                return ApiError::invalid_field("event", "a notification carries an event").into_response();
            };
            Stored {
                message_id,
                kind: parsed.subscription.kind.clone(),
                sent_at: header(webhook::MESSAGE_TIMESTAMP).map(str::to_owned),
                body: event,
            }
        }
    };
    let Some(to) = addressed(&parsed.subscription.condition) else {
        return ApiError::invalid_field("subscription.condition", "names no broadcaster").into_response();
    };
    match callback.inbox.take(to, &stored).await {
        Ok(0) => {
            tracing::debug!(kind = stored.kind, "EventSub: a delivery no connected channel wants; acknowledged");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            // Not acknowledged: Twitch sends it again. The id is forgotten
            // so that the retry is taken.
            callback.verifier.forget(&stored.message_id);
            tracing::error!(error = %error, "EventSub: could not store a delivery; Twitch will send it again");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the delivery could not be stored")
                .into_response()
        }
    }
}

fn refusal(refused: &Refused) -> ApiError {
    let message = refused.to_string();
    match refused {
        Refused::MissingHeader(name) => {
            ApiError::new(StatusCode::BAD_REQUEST, "missing_header", message).with_field(*name)
        }
        Refused::Forged => {
            ApiError::new(StatusCode::FORBIDDEN, "bad_signature", message).with_field(webhook::MESSAGE_SIGNATURE)
        }
        Refused::Stale => {
            ApiError::new(StatusCode::FORBIDDEN, "stale_delivery", message).with_field(webhook::MESSAGE_TIMESTAMP)
        }
        Refused::BadTimestamp => ApiError::invalid_field(webhook::MESSAGE_TIMESTAMP, message),
        Refused::UnknownType(_) => ApiError::invalid_field(webhook::MESSAGE_TYPE, message),
    }
}
