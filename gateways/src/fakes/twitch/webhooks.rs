//! The fake's webhook poster (dev.twitch.tv, "Handling Webhook Events"):
//! each delivery is signed with its subscription's secret (HMAC-SHA256 of
//! message id, timestamp and body) and posted with Twitch's headers.
//!
//! - A new subscription is sent the `webhook_callback_verification`
//!   challenge first; it is enabled only if the callback answers 200 with
//!   exactly the challenge, as Twitch requires.
//! - A notification not answered 2xx is posted again (Twitch retries, and
//!   delivers at least once), up to three times.
//! - Deliveries are posted one at a time, in the order they happened, so
//!   that tests can tell what order the gateway answered in.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::state::{Shared, WebhookDelivery};

/// Posts of one notification before Twitch gives up on it.
const ATTEMPTS: u32 = 3;

/// `sha256=` and the hex HMAC-SHA256 of `id`, `timestamp` and `body` under
/// `secret`: the `Twitch-Eventsub-Message-Signature` header.
pub fn signature(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(id.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Starts the poster; deliveries are queued with `State::post_webhook`.
pub(super) fn start(state: Shared) -> JoinHandle<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<WebhookDelivery>();
    state.lock().unwrap().webhooks = Some(tx);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
    tokio::spawn(async move {
        while let Some(delivery) = rx.recv().await {
            if delivery.message_type == "webhook_callback_verification" {
                verify(&http, &state, delivery).await;
                continue;
            }
            for attempt in 1..=ATTEMPTS {
                let (status, _) = post(&http, &delivery).await;
                state.lock().unwrap().webhook_log.push((delivery.clone(), status));
                if (200..300).contains(&status) || attempt == ATTEMPTS {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    })
}

/// Posts the challenge and enables the subscription if it is echoed.
async fn verify(http: &reqwest::Client, state: &Shared, delivery: WebhookDelivery) {
    let challenge = serde_json::from_str::<Value>(&delivery.body)
        .ok()
        .and_then(|b| b["challenge"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let (status, answer) = post(http, &delivery).await;
    let mut s = state.lock().unwrap();
    let verified = status == 200 && answer == challenge;
    if let Some(sub) = s.subscriptions.iter_mut().find(|sub| sub.id == delivery.subscription_id) {
        sub.status = if verified { "enabled" } else { "webhook_callback_verification_failed" }.to_owned();
    }
    s.webhook_log.push((delivery, status));
}

/// Posts `delivery` as Twitch would: its status (0 for no answer) and body.
pub(super) async fn post(http: &reqwest::Client, delivery: &WebhookDelivery) -> (u16, String) {
    let signed = signature(&delivery.secret, &delivery.message_id, &delivery.timestamp, &delivery.body);
    let sent = http
        .post(&delivery.callback)
        .header("Content-Type", "application/json")
        .header("Twitch-Eventsub-Message-Id", &delivery.message_id)
        .header("Twitch-Eventsub-Message-Retry", "0")
        .header("Twitch-Eventsub-Message-Type", &delivery.message_type)
        .header("Twitch-Eventsub-Message-Signature", signed)
        .header("Twitch-Eventsub-Message-Timestamp", &delivery.timestamp)
        .header("Twitch-Eventsub-Subscription-Type", &delivery.subscription_type)
        .header("Twitch-Eventsub-Subscription-Version", "1")
        .body(delivery.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }
        Err(_) => (0, String::new()),
    }
}
