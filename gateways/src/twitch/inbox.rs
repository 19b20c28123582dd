//! EventSub's webhook transport, for operators with many channels
//! (dev.twitch.tv, "Handling Webhook Events").
//!
//! Twitch posts each delivery to the deployment's callback, whichever
//! process receives it; that process checks it and stores it in the
//! platform inbox ([`super::callback`]). Here the process holding the
//! channel's lease makes the channel's subscriptions (with the app token,
//! to the callback, signed with the deployment's webhook secret), then
//! hears the channel's stored deliveries in order and forgets each once
//! the brain has heard it. So one process hears and answers a channel,
//! whichever process Twitch reached, and a delivery taken by a process that
//! died is heard by the next holder of the lease.
//!
//! Webhook subscriptions outlive the process that made them: Twitch keeps
//! delivering (and retrying) while no process holds the channel, and the
//! deliveries wait in the inbox for the next one.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use url::Url;
use wavestack_adapters::platform_inbox::{Addressed, Doorbells, PlatformInbox, Waiting};

use super::frames::Notification;
use super::helix::Helix;
use super::socket::{self, Wanted};
use crate::{ChannelState, GatewayError, Secret, TokenSource};

/// Deliveries read from the inbox at a time.
const PAGE: i64 = 500;
/// How often the inbox is read without a ring (a ring lost with the
/// listening connection costs at most this).
const LOOK_EVERY: Duration = Duration::from_secs(2);
const FIRST_RETRY: Duration = Duration::from_millis(200);

/// The webhook transport of a deployment.
#[derive(Debug, Clone)]
pub struct WebhookTransport {
    /// The callback Twitch posts to: the command API as Twitch reaches it,
    /// then `/webhooks/twitch/eventsub` (https on port 443 in production).
    pub callback: Url,
    /// The secret deliveries are signed with (10 to 100 ASCII characters).
    pub secret: Secret,
    /// The application's token, which webhook subscriptions are made with.
    pub app_token: Arc<dyn TokenSource>,
    pub inbox: PlatformInbox,
    pub doorbells: Doorbells,
}

impl WebhookTransport {
    /// The transport webhook subscriptions are made over.
    pub(crate) fn subscriptions(&self) -> Inboxed<'_> {
        Inboxed {
            inbox: &self.inbox,
            doorbells: &self.doorbells,
            app_token: self.app_token.clone(),
            transport: json!({
                "method": "webhook",
                "callback": self.callback.as_str(),
                "secret": self.secret.expose(),
            }),
        }
    }
}

/// A channel whose deliveries reach it through the inbox: where it reads
/// them, and the transport its subscriptions are made over (a webhook
/// callback, or a conduit).
#[derive(Debug)]
pub(crate) struct Inboxed<'a> {
    pub(crate) inbox: &'a PlatformInbox,
    pub(crate) doorbells: &'a Doorbells,
    /// The application's token: such subscriptions are the application's.
    pub(crate) app_token: Arc<dyn TokenSource>,
    pub(crate) transport: Value,
}

/// Where in the inbox a delivery under `condition` goes: the channel the
/// subscription watches (a raid's receiving side), and the bot it was made
/// for when the condition names one.
pub(crate) fn addressed(condition: &Value) -> Option<Addressed<'_>> {
    let field = |name: &str| condition.get(name).and_then(Value::as_str);
    let channel = field("broadcaster_user_id").or_else(|| field("to_broadcaster_user_id"))?;
    Some(Addressed {
        platform: "twitch",
        platform_channel_id: channel,
        bot_user_id: field("user_id").or_else(|| field("moderator_user_id")),
    })
}

/// Subscribes the channel, then sends its deliveries, each once per read,
/// into `out` until `stop`; `heard` brings back the inbox places of those
/// the brain has heard, which are then forgotten.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn hear(
    inboxed: Inboxed<'_>,
    helix: &Helix,
    key: [&str; 3],
    wanted: &[Wanted],
    out: mpsc::Sender<Notification>,
    mut heard: mpsc::UnboundedReceiver<Vec<i64>>,
    state: &watch::Sender<ChannelState>,
    stop: &CancellationToken,
) -> Result<(), GatewayError> {
    let Inboxed { inbox, doorbells, transport, .. } = inboxed;
    if !subscribe(helix, wanted, &transport, state, stop).await? {
        return Ok(());
    }
    let name = key.join("/");
    let bell = doorbells.of(&name);
    let mut in_flight: HashSet<i64> = HashSet::new();
    let result = 'reading: loop {
        let flying: Vec<i64> = in_flight.iter().copied().collect();
        let waiting = match inbox.waiting(key, &flying, PAGE).await {
            Ok(waiting) => waiting,
            Err(error) => {
                tracing::warn!(error = %error, channel = name, "could not read the inbox; trying again");
                Vec::new()
            }
        };
        let full = waiting.len() as i64 == PAGE;
        for Waiting { seq, delivery } in waiting {
            in_flight.insert(seq);
            if delivery.kind == "revocation" {
                forget(inbox, &[seq], &mut in_flight).await;
                let status = delivery.body["status"].as_str().unwrap_or_default().to_owned();
                let kind = delivery.body["type"].as_str().unwrap_or_default();
                tracing::warn!(kind, status, channel = name, "EventSub: a webhook subscription was revoked");
                if matches!(status.as_str(), "authorization_revoked" | "user_removed") {
                    state.send_replace(ChannelState::TokenRevoked);
                    break 'reading Err(GatewayError::Revoked(status));
                }
                // Twitch gave up on the callback, or retired the version:
                // subscribe again (what exists already is left as it is).
                if !subscribe(helix, wanted, &transport, state, stop).await? {
                    break 'reading Ok(());
                }
                continue;
            }
            let note = Notification {
                message_id: delivery.message_id,
                subscription_type: delivery.kind,
                sent_at: delivery.sent_at,
                event: delivery.body,
                // Read from the inbox, which was addressed by it.
                condition: Value::Null,
                receipt: Some(seq),
            };
            if out.send(note).await.is_err() {
                return Ok(());
            }
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = stop.cancelled() => break Ok(()),
            _ = bell.notified() => {}
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            done = heard.recv() => match done {
                Some(done) => forget(inbox, &done, &mut in_flight).await,
                None => break Ok(()),
            },
        }
        while let Ok(done) = heard.try_recv() {
            forget(inbox, &done, &mut in_flight).await;
        }
    };
    doorbells.forget(&name);
    result
}

/// Forgets heard deliveries. One that cannot be forgotten now stays in
/// flight here and is heard again by the next holder (harmlessly).
async fn forget(inbox: &PlatformInbox, seqs: &[i64], in_flight: &mut HashSet<i64>) {
    if seqs.is_empty() {
        return;
    }
    match inbox.heard(seqs).await {
        Ok(()) => {
            for seq in seqs {
                in_flight.remove(seq);
            }
        }
        Err(error) => tracing::warn!(error = %error, "could not forget heard deliveries"),
    }
}

/// Makes the channel's subscriptions over the inbox's transport, trying
/// again while Twitch cannot be reached; false when stopped first. A
/// missing scope or a refused app ends the channel.
async fn subscribe(
    helix: &Helix,
    wanted: &[Wanted],
    transport: &Value,
    state: &watch::Sender<ChannelState>,
    stop: &CancellationToken,
) -> Result<bool, GatewayError> {
    let mut retry = FIRST_RETRY;
    loop {
        match socket::subscribe(helix, wanted, transport).await {
            Ok(()) => {
                state.send_replace(ChannelState::Connected);
                return Ok(true);
            }
            Err(error) => {
                if let Some(ended) = socket::ends_the_channel(&error, state) {
                    return Err(ended);
                }
                tracing::warn!(error = %error, "EventSub: could not make the channel's subscriptions; trying again");
                state.send_replace(ChannelState::Reconnecting);
                if socket::pause(&mut retry, stop).await {
                    return Ok(false);
                }
            }
        }
    }
}
