//! What the fake Twitch remembers: tokens, sessions, subscriptions, and
//! everything a bot did through Helix.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::conduits::Conduit;
use super::Timings;

pub(super) type Shared = Arc<Mutex<State>>;

#[derive(Debug, Clone)]
pub(super) struct TokenInfo {
    /// Empty for an app access token.
    pub(super) user_id: String,
    pub(super) login: String,
    pub(super) scopes: HashSet<String>,
    pub(super) valid: bool,
    pub(super) expires_at: Instant,
    /// An app access token (client credentials): no user, no scopes; what
    /// webhook subscriptions take.
    pub(super) app: bool,
}

impl TokenInfo {
    pub(super) fn usable(&self) -> bool {
        self.valid && Instant::now() < self.expires_at
    }
}

/// An authorization code, good once for ten minutes.
#[derive(Debug, Clone)]
pub(super) struct CodeGrant {
    pub(super) user_id: String,
    pub(super) login: String,
    pub(super) scopes: Vec<String>,
    pub(super) redirect_uri: String,
    pub(super) issued: Instant,
}

/// The registered application: its secret and redirect URL.
#[derive(Debug, Clone, Default)]
pub(super) struct App {
    pub(super) client_secret: String,
    pub(super) redirect_uri: String,
}

/// Sent to one WebSocket session's writer.
#[derive(Debug)]
pub(super) enum Outgoing {
    Text(String),
    Close(u16, &'static str),
}

#[derive(Debug)]
pub(super) struct SessionHandle {
    pub(super) tx: mpsc::UnboundedSender<Outgoing>,
    /// Subscribed at least once (or moved here by a reconnect).
    pub(super) used: bool,
    /// The last notifications sent here: Twitch, unsure whether they
    /// arrived, sends them again on the session a reconnect moves to.
    pub(super) recent: VecDeque<String>,
}

/// Notifications a reconnect sends again.
pub(super) const REDELIVERED: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub id: String,
    pub kind: String,
    pub version: String,
    pub condition: Value,
    /// `websocket` or `webhook`.
    pub method: String,
    /// The WebSocket session's id (websocket transport; empty otherwise).
    pub session_id: String,
    /// Where deliveries are posted (webhook transport).
    pub callback: Option<String>,
    /// The conduit whose shards deliver it (conduit transport).
    pub conduit_id: Option<String>,
    pub status: String,
    pub created_at: String,
    /// The user whose token created it (empty for an app token): revoking
    /// their authorization revokes it.
    pub created_by: String,
}

/// A webhook delivery the fake posts (or posted): its headers' values and
/// body, to sign and to send again.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub callback: String,
    pub message_id: String,
    /// `notification`, `webhook_callback_verification` or `revocation`.
    pub message_type: String,
    pub timestamp: String,
    pub subscription_type: String,
    pub body: String,
    /// The subscription's secret, to sign with.
    pub(super) secret: String,
    pub(super) subscription_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentChat {
    /// When the fake took it (benchmarks measure chat → reply with it).
    pub received_at: std::time::Instant,
    pub message_id: String,
    pub broadcaster_id: String,
    pub sender_id: String,
    pub message: String,
    pub reply_parent_message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub broadcaster_id: String,
    pub moderator_id: String,
    pub user_id: String,
    /// Seconds for a timeout; none for a ban.
    pub duration: Option<u32>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentWhisper {
    pub from_user_id: String,
    pub to_user_id: String,
    pub message: String,
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) addr: Option<SocketAddr>,
    pub(super) client_id: String,
    pub(super) timings: Timings,
    pub(super) tokens: HashMap<String, TokenInfo>,
    /// The scopes each user has authorized the application with: what an
    /// app token may subscribe to on their behalf (webhooks).
    pub(super) authorizations: HashMap<String, HashSet<String>>,
    /// Refresh token → the grant it renews.
    pub(super) refresh_tokens: HashMap<String, CodeGrant>,
    pub(super) codes: HashMap<String, CodeGrant>,
    pub(super) app: App,
    /// The Twitch user who consents on the authorize page.
    pub(super) signed_in: Option<(String, String)>,
    /// How long an access token lives.
    pub(super) token_lifetime: std::time::Duration,
    /// App access tokens issued so far.
    pub(super) app_tokens_issued: usize,
    /// Tokens refreshed so far.
    pub(super) refreshes: usize,
    pub(super) validations: usize,
    pub(super) sessions: HashMap<String, SessionHandle>,
    pub(super) sessions_opened: usize,
    pub(super) subscriptions: Vec<Subscription>,
    pub(super) silent: bool,
    pub(super) rate_limited: u32,
    /// Send Chat Messages to answer "not sent", as AutoMod's holds are.
    pub(super) dropping: u32,
    pub(super) refused_for_rate: usize,
    /// Notifications sent a second time after a reconnect.
    pub(super) redelivered: usize,
    pub(super) sent: Vec<SentChat>,
    pub(super) deleted: Vec<String>,
    pub(super) bans: Vec<Ban>,
    pub(super) whispers: Vec<SentWhisper>,
    /// Chat message ids Twitch knows (said by viewers or sent by bots): a
    /// reply must answer one of them.
    pub(super) known_messages: HashSet<String>,
    /// Webhook secrets by subscription id (never shown by Helix).
    pub(super) webhook_secrets: HashMap<String, String>,
    /// Webhook deliveries to post, in order (one poster, like one queue).
    pub(super) webhooks: Option<mpsc::UnboundedSender<WebhookDelivery>>,
    /// Every webhook delivery posted, with the status it was answered.
    pub(super) webhook_log: Vec<(WebhookDelivery, u16)>,
    pub(super) conduits: Vec<Conduit>,
    /// Turns of the conduits' shards: notifications go to each in turn.
    pub(super) next_shard: usize,
    /// Notifications delivered per shard session.
    pub(super) by_shard_session: HashMap<String, usize>,
}

impl State {
    /// A new access token (and refresh token) for a grant.
    pub(super) fn grant(&mut self, grant: CodeGrant) -> (String, String) {
        let access = format!("fake-{}", uuid::Uuid::new_v4().simple());
        let refresh = format!("fake-refresh-{}", uuid::Uuid::new_v4().simple());
        self.tokens.insert(
            access.clone(),
            TokenInfo {
                user_id: grant.user_id.clone(),
                login: grant.login.clone(),
                scopes: grant.scopes.iter().cloned().collect(),
                valid: true,
                expires_at: Instant::now() + self.token_lifetime,
                app: false,
            },
        );
        self.authorizations.entry(grant.user_id.clone()).or_default().extend(grant.scopes.iter().cloned());
        self.refresh_tokens.insert(refresh.clone(), grant);
        (access, refresh)
    }

    pub(super) fn new(client_id: &str, timings: Timings) -> Self {
        Self {
            addr: None,
            client_id: client_id.to_owned(),
            timings,
            tokens: HashMap::new(),
            authorizations: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            app: App::default(),
            signed_in: None,
            token_lifetime: std::time::Duration::from_secs(4 * 3600),
            app_tokens_issued: 0,
            refreshes: 0,
            validations: 0,
            sessions: HashMap::new(),
            sessions_opened: 0,
            subscriptions: Vec::new(),
            silent: false,
            rate_limited: 0,
            dropping: 0,
            refused_for_rate: 0,
            redelivered: 0,
            sent: Vec::new(),
            deleted: Vec::new(),
            bans: Vec::new(),
            whispers: Vec::new(),
            known_messages: HashSet::new(),
            webhook_secrets: HashMap::new(),
            webhooks: None,
            webhook_log: Vec::new(),
            conduits: Vec::new(),
            next_shard: 0,
            by_shard_session: HashMap::new(),
        }
    }

    /// Sends a notification of `kind` for `broadcaster_id` to every session
    /// with an enabled subscription to it; how many got it.
    pub(super) fn notify(&mut self, kind: &str, broadcaster_id: &str, mut frame: Value) -> usize {
        if let Some(id) = frame["payload"]["event"]["message_id"].as_str() {
            self.known_messages.insert(id.to_owned());
        }
        let mut delivered = 0;
        let matching: Vec<Subscription> = self
            .subscriptions
            .iter()
            .filter(|sub| {
                let channel =
                    sub.condition.get("broadcaster_user_id").or_else(|| sub.condition.get("to_broadcaster_user_id"));
                sub.kind == kind && sub.status == "enabled" && channel.and_then(Value::as_str) == Some(broadcaster_id)
            })
            .cloned()
            .collect();
        for sub in matching {
            let session_id = match sub.method.as_str() {
                "webhook" => {
                    let body = json!({"subscription": subscription_json(&sub), "event": frame["payload"]["event"]});
                    let message_id = frame["metadata"]["message_id"].as_str().unwrap_or_default().to_owned();
                    if self.post_webhook(&sub, "notification", message_id, body) {
                        delivered += 1;
                    }
                    continue;
                }
                "conduit" => match self.next_shard_session(sub.conduit_id.as_deref().unwrap_or_default()) {
                    Some(session_id) => session_id,
                    // No enabled shard: Twitch has nowhere to send it.
                    None => continue,
                },
                _ => sub.session_id.clone(),
            };
            frame["payload"]["subscription"] = subscription_json(&sub);
            if self.send_to_session(&session_id, frame.to_string()) {
                delivered += 1;
            }
        }
        delivered
    }

    /// Sends a frame on a session, remembering it for a reconnect's redelivery.
    fn send_to_session(&mut self, session_id: &str, text: String) -> bool {
        let Some(session) = self.sessions.get_mut(session_id) else { return false };
        if session.recent.len() == REDELIVERED {
            session.recent.pop_front();
        }
        session.recent.push_back(text.clone());
        session.tx.send(Outgoing::Text(text)).is_ok()
    }

    /// The session of the conduit's next enabled shard, in turn.
    fn next_shard_session(&mut self, conduit_id: &str) -> Option<String> {
        let conduit = self.conduits.iter().find(|c| c.id == conduit_id)?;
        let enabled: Vec<String> = conduit
            .shards
            .iter()
            .filter(|shard| shard.status == "enabled")
            .filter_map(|shard| shard.session_id.clone())
            .filter(|session| self.sessions.contains_key(session))
            .collect();
        if enabled.is_empty() {
            return None;
        }
        self.next_shard = self.next_shard.wrapping_add(1);
        let session = enabled[self.next_shard % enabled.len()].clone();
        *self.by_shard_session.entry(session.clone()).or_default() += 1;
        Some(session)
    }

    pub(super) fn revoke(&mut self, user_id: &str) {
        for token in self.tokens.values_mut().filter(|t| t.user_id == user_id) {
            token.valid = false;
        }
        self.authorizations.remove(user_id);
        let mut revoked = Vec::new();
        for sub in &mut self.subscriptions {
            let involved = sub.created_by == user_id
                || sub.condition["user_id"] == user_id
                || sub.condition["moderator_user_id"] == user_id
                || sub.condition["broadcaster_user_id"] == user_id;
            if !involved || sub.status != "enabled" {
                continue;
            }
            sub.status = "authorization_revoked".to_owned();
            revoked.push(sub.clone());
        }
        for sub in revoked {
            let frame = json!({
                "metadata": {
                    "message_id": uuid::Uuid::new_v4().to_string(),
                    "message_type": "revocation",
                    "message_timestamp": now_rfc3339(),
                    "subscription_type": sub.kind,
                    "subscription_version": sub.version,
                },
                "payload": { "subscription": subscription_json(&sub) },
            });
            let session = match sub.method.as_str() {
                "webhook" => {
                    let message_id = frame["metadata"]["message_id"].as_str().unwrap_or_default().to_owned();
                    self.post_webhook(&sub, "revocation", message_id, frame["payload"].clone());
                    continue;
                }
                "conduit" => self.next_shard_session(sub.conduit_id.as_deref().unwrap_or_default()),
                _ => Some(sub.session_id.clone()),
            };
            if let Some(session) = session.and_then(|id| self.sessions.get(&id)) {
                let _ = session.tx.send(Outgoing::Text(frame.to_string()));
            }
        }
    }

    /// Queues a webhook delivery of `sub`; false when the fake's poster is gone.
    pub(super) fn post_webhook(&self, sub: &Subscription, message_type: &str, message_id: String, body: Value) -> bool {
        let (Some(callback), Some(secret), Some(poster)) =
            (sub.callback.clone(), self.webhook_secrets.get(&sub.id), self.webhooks.as_ref())
        else {
            return false;
        };
        let delivery = WebhookDelivery {
            callback,
            message_id,
            message_type: message_type.to_owned(),
            timestamp: now_rfc3339(),
            subscription_type: sub.kind.clone(),
            body: body.to_string(),
            secret: secret.clone(),
            subscription_id: sub.id.clone(),
        };
        poster.send(delivery).is_ok()
    }
}

/// A subscription as Helix and EventSub show it.
pub(super) fn subscription_json(sub: &Subscription) -> Value {
    json!({
        "id": sub.id,
        "status": sub.status,
        "type": sub.kind,
        "version": sub.version,
        "condition": sub.condition,
        "transport": match sub.method.as_str() {
            "webhook" => json!({"method": "webhook", "callback": sub.callback}),
            "conduit" => json!({"method": "conduit", "conduit_id": sub.conduit_id}),
            _ => json!({"method": "websocket", "session_id": sub.session_id}),
        },
        "created_at": sub.created_at,
        "cost": 0,
    })
}

/// Tells every session to reconnect, and closes each with 4004 if it is
/// still open when the grace runs out.
pub(super) fn reconnect_everyone(state: &Shared) {
    let guard = state.lock().unwrap();
    let addr = guard.addr.expect("the fake is serving");
    let grace = guard.timings.reconnect_grace;
    for (id, session) in &guard.sessions {
        let frame = json!({
            "metadata": {
                "message_id": uuid::Uuid::new_v4().to_string(),
                "message_type": "session_reconnect",
                "message_timestamp": now_rfc3339(),
            },
            "payload": {"session": {
                "id": id,
                "status": "reconnecting",
                "keepalive_timeout_seconds": null,
                "reconnect_url": format!("ws://{addr}/ws?reconnect_id={id}"),
                "connected_at": now_rfc3339(),
            }},
        });
        let _ = session.tx.send(Outgoing::Text(frame.to_string()));
        let tx = session.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let _ = tx.send(Outgoing::Close(4004, "client reconnect grace time expired"));
        });
    }
}

/// RFC 3339 with nanoseconds, as EventSub writes its timestamps.
pub(super) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).expect("formattable")
}
