//! A fake Twitch: the EventSub WebSocket server and the Helix endpoints a
//! chat bot uses, on one local port.
//!
//! Strict where Twitch is: a token without the scope is refused with 403, a
//! body with an unknown field with 400, a session that has not subscribed
//! within the welcome's window is closed with 4003, a client that sends
//! anything but a pong is closed with 4001, a reconnected session that is
//! not left within the grace is closed with 4004. Twitch delivers at least
//! once: the session a reconnect moves to gets the old one's last
//! notifications again, with the same message ids. Notifications are the
//! documentation's example payloads with the test's ids and text put in.

mod conduits;
mod control;
mod eventsub;
mod helix;
mod oauth;
mod state;
mod webhooks;

pub use conduits::{Conduit, Shard};
pub use control::control_router;
pub use state::{Ban, SentChat, SentWhisper, Subscription, WebhookDelivery};
pub use webhooks::signature as webhook_signature;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::task::JoinHandle;
use url::Url;

use self::state::{CodeGrant, Shared, State, TokenInfo};

/// The docs' `channel.chat.message` notification, the fields a test sets
/// replaced.
const CHAT_MESSAGE: &str = include_str!("../../../fixtures/twitch/channel.chat.message.notification.json");

/// The docs' example notification of a stream event type.
fn stream_event_fixture(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "channel.follow" => include_str!("../../../fixtures/twitch/channel.follow.notification.json"),
        "channel.subscribe" => include_str!("../../../fixtures/twitch/channel.subscribe.notification.json"),
        "channel.subscription.gift" => {
            include_str!("../../../fixtures/twitch/channel.subscription.gift.notification.json")
        }
        "channel.subscription.message" => {
            include_str!("../../../fixtures/twitch/channel.subscription.message.notification.json")
        }
        "channel.cheer" => include_str!("../../../fixtures/twitch/channel.cheer.notification.json"),
        "channel.raid" => include_str!("../../../fixtures/twitch/channel.raid.notification.json"),
        "channel.channel_points_custom_reward_redemption.add" => {
            include_str!(
                "../../../fixtures/twitch/channel.channel_points_custom_reward_redemption.add.notification.json"
            )
        }
        "stream.online" => include_str!("../../../fixtures/twitch/stream.online.notification.json"),
        "stream.offline" => include_str!("../../../fixtures/twitch/stream.offline.notification.json"),
        "channel.chat.message_delete" => {
            include_str!("../../../fixtures/twitch/channel.chat.message_delete.notification.json")
        }
        "channel.chat.clear" => include_str!("../../../fixtures/twitch/channel.chat.clear.notification.json"),
        "channel.chat.notification" => {
            include_str!("../../../fixtures/twitch/channel.chat.notification.notification.json")
        }
        _ => return None,
    })
}

/// A chatter, as a notification names them.
#[derive(Debug, Clone)]
pub struct Chatter {
    pub user_id: String,
    pub login: String,
    /// Badge set ids: `broadcaster`, `moderator`, `vip`, `subscriber`, ...
    pub badges: Vec<String>,
}

impl Chatter {
    pub fn viewer(user_id: &str, login: &str) -> Self {
        Self { user_id: user_id.into(), login: login.into(), badges: Vec::new() }
    }
}

/// A running fake Twitch.
#[derive(Debug)]
pub struct FakeTwitch {
    addr: SocketAddr,
    state: Shared,
    server: JoinHandle<()>,
    poster: JoinHandle<()>,
}

impl Drop for FakeTwitch {
    fn drop(&mut self) {
        self.server.abort();
        self.poster.abort();
    }
}

/// The timings a test may shorten (Twitch's own are 10 s and 30 s).
#[derive(Debug, Clone)]
pub struct Timings {
    /// Keepalive period, and the window to subscribe in after a welcome.
    pub keepalive: Duration,
    /// How long a session told to reconnect stays open.
    pub reconnect_grace: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Self { keepalive: Duration::from_secs(10), reconnect_grace: Duration::from_secs(30) }
    }
}

impl FakeTwitch {
    /// On a port of its own.
    pub async fn start(client_id: &str, timings: Timings) -> Self {
        Self::start_on(([127, 0, 0, 1], 0).into(), client_id, timings).await.expect("a local port")
    }

    /// On `addr` (`wavestack fake-twitch`, for the browser tests).
    pub async fn start_on(addr: SocketAddr, client_id: &str, timings: Timings) -> std::io::Result<Self> {
        let state: Shared = Arc::new(Mutex::new(State::new(client_id, timings)));
        let app = Router::new()
            .route("/ws", get(eventsub::connect))
            .route("/oauth2/authorize", get(oauth::authorize))
            .route("/oauth2/token", post(oauth::token))
            .route("/oauth2/validate", get(oauth::validate))
            .route("/oauth2/revoke", post(oauth::revoke))
            .route("/helix/eventsub/subscriptions", post(helix::create_subscription))
            .route(
                "/helix/eventsub/conduits",
                get(conduits::get_conduits).post(conduits::create_conduit).patch(conduits::update_conduit),
            )
            .route("/helix/eventsub/conduits/shards", get(conduits::get_shards).patch(conduits::update_shards))
            .route("/helix/chat/messages", post(helix::send_chat_message))
            .route("/helix/moderation/chat", delete(helix::delete_chat_messages))
            .route("/helix/whispers", post(helix::send_whisper))
            .route("/helix/moderation/bans", post(helix::ban_user).delete(helix::unban_user))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        state.lock().unwrap().addr = Some(addr);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake Twitch serves");
        });
        let poster = webhooks::start(state.clone());
        Ok(Self { addr, state, server, poster })
    }

    pub fn eventsub_url(&self) -> Url {
        Url::parse(&format!("ws://{}/ws", self.addr)).expect("a URL")
    }

    /// The id server's base (`https://id.twitch.tv/oauth2/` in production).
    pub fn id_url(&self) -> Url {
        Url::parse(&format!("http://{}/oauth2/", self.addr)).expect("a URL")
    }

    pub fn helix_url(&self) -> Url {
        Url::parse(&format!("http://{}/helix/", self.addr)).expect("a URL")
    }

    /// A user access token of `user_id` with `scopes`.
    pub fn issue_token(&self, user_id: &str, scopes: &[&str]) -> String {
        let grant = CodeGrant {
            user_id: user_id.to_owned(),
            login: user_id.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            redirect_uri: String::new(),
            issued: tokio::time::Instant::now(),
        };
        self.state.lock().unwrap().grant(grant).0
    }

    /// Registers the application WaveStack runs as: its secret and the
    /// redirect URL the authorize page may send browsers back to.
    pub fn register_app(&self, client_secret: &str, redirect_uri: &str) {
        self.state.lock().unwrap().app =
            state::App { client_secret: client_secret.to_owned(), redirect_uri: redirect_uri.to_owned() };
    }

    /// The Twitch user who is signed in on the authorize page, and consents.
    pub fn sign_in_as(&self, user_id: &str, login: &str) {
        self.state.lock().unwrap().signed_in = Some((user_id.to_owned(), login.to_owned()));
    }

    /// How long access tokens issued from now on live.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.lock().unwrap().token_lifetime = lifetime;
    }

    /// Whether `token` is a live access token.
    pub fn token_is_live(&self, token: &str) -> bool {
        self.state.lock().unwrap().tokens.get(token).is_some_and(TokenInfo::usable)
    }

    /// Access tokens Twitch would accept now, of `user_id`.
    pub fn live_tokens_of(&self, user_id: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.tokens.iter().filter(|(_, t)| t.user_id == user_id && t.usable()).map(|(k, _)| k.clone()).collect()
    }

    /// Every access and refresh token ever issued to `user_id`, live or
    /// not: what must never be found stored or logged.
    pub fn tokens_issued_to(&self, user_id: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        let access = s.tokens.iter().filter(|(_, t)| t.user_id == user_id).map(|(k, _)| k.clone());
        let refresh = s.refresh_tokens.iter().filter(|(_, g)| g.user_id == user_id).map(|(k, _)| k.clone());
        access.chain(refresh).collect()
    }

    /// Refresh grants and validations served so far.
    pub fn refreshes(&self) -> usize {
        self.state.lock().unwrap().refreshes
    }

    pub fn validations(&self) -> usize {
        self.state.lock().unwrap().validations
    }

    /// Waits until `count` subscriptions of `kind` are enabled.
    pub async fn wait_for_subscriptions(&self, kind: &str, count: usize) {
        for _ in 0..600 {
            if self.subscriptions().iter().filter(|s| s.kind == kind && s.status == "enabled").count() >= count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no {count} enabled `{kind}` subscriptions within 12 s: {:?}", self.subscriptions());
    }

    /// A viewer says `text` in `broadcaster_id`'s chat: the notification
    /// goes to every session subscribed to that chat. Returns the message id.
    pub fn say(&self, broadcaster_id: &str, broadcaster_login: &str, chatter: &Chatter, text: &str) -> String {
        let (message_id, delivered) = self.try_say(broadcaster_id, broadcaster_login, chatter, text);
        assert!(delivered > 0, "no session is subscribed to {broadcaster_id}'s chat");
        message_id
    }

    /// `say`, with how many subscriptions it was delivered to (none is no
    /// failure here).
    pub fn try_say(
        &self,
        broadcaster_id: &str,
        broadcaster_login: &str,
        chatter: &Chatter,
        text: &str,
    ) -> (String, usize) {
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut frame: Value = serde_json::from_str(CHAT_MESSAGE).expect("the fixture is JSON");
        frame["metadata"]["message_id"] = json!(uuid::Uuid::new_v4().to_string());
        frame["metadata"]["message_timestamp"] = json!(state::now_rfc3339());
        let event = &mut frame["payload"]["event"];
        event["broadcaster_user_id"] = json!(broadcaster_id);
        event["broadcaster_user_login"] = json!(broadcaster_login);
        event["broadcaster_user_name"] = json!(broadcaster_login);
        event["chatter_user_id"] = json!(chatter.user_id);
        event["chatter_user_login"] = json!(chatter.login);
        event["chatter_user_name"] = json!(chatter.login);
        event["message_id"] = json!(message_id);
        event["message"] = json!({
            "text": text,
            "fragments": [{"type": "text", "text": text, "cheermote": null, "emote": null, "mention": null}],
        });
        event["badges"] =
            chatter.badges.iter().map(|set| json!({"set_id": set, "id": "1", "info": ""})).collect::<Value>();
        let delivered = self.state.lock().unwrap().notify("channel.chat.message", broadcaster_id, frame);
        (message_id, delivered)
    }

    /// A stream event of `kind` happens in `broadcaster_id`'s channel: the
    /// docs' example notification, with a fresh message id, the channel's
    /// ids, and the test's changes to its `event` (`edit`), goes to every
    /// session subscribed to it. Returns the message id.
    pub fn happen(&self, kind: &str, broadcaster_id: &str, edit: impl FnOnce(&mut Value)) -> String {
        let (message_id, delivered) =
            self.try_happen(kind, broadcaster_id, edit).unwrap_or_else(|| panic!("no fixture for {kind}"));
        assert!(delivered > 0, "no session is subscribed to {kind} of {broadcaster_id}");
        message_id
    }

    /// `happen`, with how many subscriptions it was delivered to; `None`
    /// for a type the fake has no example of.
    pub fn try_happen(
        &self,
        kind: &str,
        broadcaster_id: &str,
        edit: impl FnOnce(&mut Value),
    ) -> Option<(String, usize)> {
        let fixture = stream_event_fixture(kind)?;
        let mut frame: Value = serde_json::from_str(fixture).expect("the fixture is JSON");
        let message_id = uuid::Uuid::new_v4().to_string();
        frame["metadata"]["message_id"] = json!(message_id);
        frame["metadata"]["message_timestamp"] = json!(state::now_rfc3339());
        let event = &mut frame["payload"]["event"];
        let channel_field = if kind == "channel.raid" { "to_broadcaster_user_id" } else { "broadcaster_user_id" };
        event[channel_field] = json!(broadcaster_id);
        edit(event);
        let delivered = self.state.lock().unwrap().notify(kind, broadcaster_id, frame);
        Some((message_id, delivered))
    }

    /// Every connected session is told to reconnect (`session_reconnect`),
    /// as Twitch does before it moves a server.
    pub fn reconnect_everyone(&self) {
        state::reconnect_everyone(&self.state);
    }

    /// Stops (or restarts) keepalives: a silent server, as a dead one looks.
    pub fn go_silent(&self, silent: bool) {
        self.state.lock().unwrap().silent = silent;
    }

    /// The user revokes the app's authorization: their tokens stop working
    /// and their subscriptions are revoked (`authorization_revoked`).
    pub fn revoke(&self, user_id: &str) {
        self.state.lock().unwrap().revoke(user_id);
    }

    /// The next `calls` Helix calls are answered `429`.
    pub fn rate_limit_next(&self, calls: u32) {
        self.state.lock().unwrap().rate_limited = calls;
    }

    /// The next `messages` Send Chat Messages are answered 200 but not
    /// sent (`is_sent: false` with a `drop_reason`), as when AutoMod holds
    /// a message.
    pub fn drop_next(&self, messages: u32) {
        self.state.lock().unwrap().dropping = messages;
    }

    /// How many chat messages were sent through Send Chat Message.
    pub fn sent_count(&self) -> usize {
        self.state.lock().unwrap().sent.len()
    }

    /// Chat messages sent through Send Chat Message, in order.
    pub fn sent(&self) -> Vec<SentChat> {
        self.state.lock().unwrap().sent.clone()
    }

    /// Message ids deleted through Delete Chat Messages, in order.
    pub fn deleted(&self) -> Vec<String> {
        self.state.lock().unwrap().deleted.clone()
    }

    /// Whispers sent through Send Whisper, in order.
    pub fn whispers(&self) -> Vec<SentWhisper> {
        self.state.lock().unwrap().whispers.clone()
    }

    /// Bans and timeouts through Ban User, in order.
    pub fn bans(&self) -> Vec<Ban> {
        self.state.lock().unwrap().bans.clone()
    }

    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.state.lock().unwrap().subscriptions.clone()
    }

    /// WebSocket sessions opened so far.
    pub fn sessions_opened(&self) -> usize {
        self.state.lock().unwrap().sessions_opened
    }

    /// Notifications sent again on a session a reconnect moved to.
    pub fn redelivered(&self) -> usize {
        self.state.lock().unwrap().redelivered
    }

    /// Every webhook delivery posted so far (each attempt), with the status
    /// the callback answered (0: no answer).
    pub fn webhook_log(&self) -> Vec<(WebhookDelivery, u16)> {
        self.state.lock().unwrap().webhook_log.clone()
    }

    /// Posts a delivery again exactly as it was (same id, timestamp and
    /// signature), as a replaying attacker or a retrying Twitch would: the
    /// status the callback answered.
    pub async fn post_again(&self, delivery: &WebhookDelivery) -> u16 {
        webhooks::post(&reqwest::Client::new(), delivery).await.0
    }

    /// The client's conduits and their shards.
    pub fn conduits(&self) -> Vec<Conduit> {
        self.state.lock().unwrap().conduits.clone()
    }

    /// How many notifications went out on each shard's session.
    pub fn delivered_by_shard_session(&self) -> std::collections::HashMap<String, usize> {
        self.state.lock().unwrap().by_shard_session.clone()
    }

    /// App access tokens issued (client credentials) so far.
    pub fn app_tokens_issued(&self) -> usize {
        self.state.lock().unwrap().app_tokens_issued
    }

    /// Helix calls refused with `429` so far.
    pub fn rate_limited_calls(&self) -> usize {
        self.state.lock().unwrap().refused_for_rate
    }
}
