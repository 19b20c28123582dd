//! Twitch: heard through EventSub, answered and moderated through Helix
//! (what Twitch's "Chat & Chatbots" guide prefers over IRC).
//!
//! Per connected channel, three tasks joined by bounded queues:
//! EventSub → hearing (batches of chat messages through the [`Brain`]) →
//! the outbox ([`outbox`]: replies with Send Chat Message, moderation with
//! Delete Chat Messages and Ban User, whispers with Send Whisper, in
//! order). EventSub comes over one of two transports:
//! - WebSocket ([`socket`]): a session per channel, for a self-hosted
//!   streamer; nothing to expose to the internet.
//! - webhook ([`inbox`]): Twitch posts to the deployment's callback
//!   ([`callback`]), any process takes the delivery into the platform
//!   inbox, and the channel's lease holder hears it; for operators with
//!   many channels, and redelivered by Twitch while no process is up.
//! - conduit ([`conduit`]): Twitch spreads the deliveries over the shards
//!   of the deployment's conduit, WebSocket sessions spread over the
//!   processes; each shard stores what it hears in the inbox, for the
//!   channel's holder, as webhooks do.

mod app_token;
mod broadcast;
mod callback;
mod chat;
mod conduit;
mod connected;
mod frames;
mod helix;
mod inbox;
mod outbox;
mod seen;
mod socket;
pub mod webhook;

pub use app_token::AppToken;
pub use callback::{callback_router, CALLBACK_PATH};
pub use conduit::ConduitTransport;
pub use connected::{TwitchRole, LOOK_EVERY};
pub use helix::BotCredentials;
pub use inbox::WebhookTransport;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use url::Url;
use wavestack_adapters::platform_connections::Connection;
use wavestack_app::chat::Heard;
use wavestack_app::deliveries::delivery_id;
use wavestack_domain::chat::ReceiveChatMessage;
use wavestack_domain::value::{ChannelId, ChatPlatform, Timestamp};

use self::frames::Notification;
use self::helix::Helix;
use self::helix::HelixError;
use self::outbox::{Item, Outbound};
use self::socket::Wanted;
use crate::{Brain, ChannelState, Gateway, GatewayError, SayError, TokenSource};

/// Most chat messages heard in one call of the brain (one write).
const MOST_PER_BATCH: usize = 100;
/// Notifications waiting to be heard, and decisions waiting to go out.
pub(crate) const QUEUE: usize = 4_096;
/// A batch the store could not take is heard again this many times
/// (message ids make a repeat harmless) before it is given up, logged.
const HEARING_TRIES: u32 = 5;

/// Where Twitch is, and the app registration the bot uses.
#[derive(Debug, Clone)]
pub struct TwitchConfig {
    /// `wss://eventsub.wss.twitch.tv/ws` in production.
    pub eventsub_url: Url,
    /// `https://api.twitch.tv/helix/` in production (with the final slash).
    pub helix_url: Url,
    /// The registered application's client id, sent with every Helix call.
    pub client_id: String,
    /// Asked of EventSub (10 to 600 s): how long silence may last.
    pub keepalive_seconds: u32,
    /// How EventSub reaches the gateway.
    pub transport: Transport,
}

/// EventSub's transport (see the module's documentation).
#[derive(Debug, Clone)]
pub enum Transport {
    WebSocket,
    Webhook(WebhookTransport),
    Conduit(ConduitTransport),
}

impl Transport {
    /// Where a channel heard through the inbox reads its deliveries, and
    /// what its subscriptions are made over; `None` over the WebSocket
    /// transport, or if stopped before the conduit is known.
    pub(crate) async fn inboxed(&self, stop: &CancellationToken) -> Option<inbox::Inboxed<'_>> {
        match self {
            Transport::WebSocket => None,
            Transport::Webhook(webhook) => Some(webhook.subscriptions()),
            Transport::Conduit(conduit) => conduit.subscriptions(stop).await,
        }
    }

    /// The inbox's doorbells, for the transports that hear through it.
    pub(crate) fn doorbells(&self) -> Option<&wavestack_adapters::platform_inbox::Doorbells> {
        match self {
            Transport::WebSocket => None,
            Transport::Webhook(webhook) => Some(&webhook.doorbells),
            Transport::Conduit(conduit) => Some(&conduit.doorbells),
        }
    }
}

impl TwitchConfig {
    pub fn production(client_id: impl Into<String>) -> Self {
        Self {
            eventsub_url: Url::parse("wss://eventsub.wss.twitch.tv/ws").expect("a URL"),
            helix_url: Url::parse("https://api.twitch.tv/helix/").expect("a URL"),
            client_id: client_id.into(),
            keepalive_seconds: 10,
            transport: Transport::WebSocket,
        }
    }
}

/// One channel the bot joins.
#[derive(Debug, Clone)]
pub struct TwitchChannel {
    /// The channel as WaveStack names it (the broadcaster's login), the
    /// `channel` of its chat messages, settings and overlays.
    pub channel: ChannelId,
    pub broadcaster_id: String,
    pub bot: BotCredentials,
    /// A moderator (or the broadcaster) may send 100 messages per 30 s
    /// rather than 20.
    pub bot_is_moderator: bool,
    /// What the bot's token may do, as Twitch granted it: which stream
    /// events the channel can subscribe to.
    pub scopes: Vec<String>,
}

impl TwitchChannel {
    /// The channel a stored connection names, acting with `token`. The
    /// bot that is the broadcaster has the moderator's send limit.
    pub fn of(connection: &Connection, channel: ChannelId, token: Arc<dyn TokenSource>) -> Self {
        Self {
            channel,
            broadcaster_id: connection.platform_channel_id.clone(),
            bot: BotCredentials { user_id: connection.bot_user_id.clone(), token },
            bot_is_moderator: connection.bot_user_id == connection.platform_channel_id,
            scopes: connection.scopes.clone(),
        }
    }
}

/// The Twitch gateway.
#[derive(Debug, Clone)]
pub struct Twitch {
    config: TwitchConfig,
    /// Every channel's Helix calls share it: a client per channel cost
    /// its own pool and TLS configuration a thousand times over.
    http: reqwest::Client,
}

impl Twitch {
    pub fn new(config: TwitchConfig) -> Self {
        Self { config, http: helix::client() }
    }

    /// Helix as `bot`, over the client every channel shares.
    fn helix(&self, bot: &BotCredentials) -> Helix {
        Helix::new(self.http.clone(), self.config.helix_url.clone(), self.config.client_id.clone(), bot.clone())
    }

    fn session_url(&self) -> Url {
        let mut url = self.config.eventsub_url.clone();
        url.query_pairs_mut().append_pair("keepalive_timeout_seconds", &self.config.keepalive_seconds.to_string());
        url
    }
}

impl Gateway for Twitch {
    type Channel = TwitchChannel;

    fn platform(&self) -> ChatPlatform {
        ChatPlatform::Twitch
    }

    async fn run(
        &self,
        channel: TwitchChannel,
        brain: Brain,
        state: watch::Sender<ChannelState>,
        stop: CancellationToken,
    ) -> Result<(), GatewayError> {
        state.send_replace(ChannelState::Connecting);
        // Taking the channel over: what a carrier before left unsettled
        // (it died between starting a delivery and Twitch's answer) is of
        // unknown fate, and is not carried out again.
        match brain.give_up_unsettled(&channel.channel).await {
            Ok(0) => {}
            Ok(unknown) => tracing::warn!(unknown, channel = %channel.channel, "deliveries of unknown fate recorded"),
            Err(error) => tracing::warn!(error = %error, "the channel's unsettled deliveries could not be recorded"),
        }
        let helix = self.helix(&channel.bot);
        let chat = Wanted {
            kind: "channel.chat.message",
            version: "1",
            condition: json!({ "broadcaster_user_id": channel.broadcaster_id, "user_id": channel.bot.user_id }),
        };
        let wanted: Vec<Wanted> = std::iter::once(chat).chain(broadcast::wanted(&channel)).collect();
        // The tasks end together: whichever ends first (a revoked token,
        // `stop`) stops the others.
        let local = stop.child_token();
        let (notes_in, notes) = mpsc::channel(QUEUE);
        let (decided, outbox) = mpsc::channel(QUEUE);
        // The inbox places of deliveries heard, back to the webhook reader.
        let (receipts, heard_back) = mpsc::unbounded_channel();
        let hearing = async {
            let heard = match &self.config.transport {
                Transport::WebSocket => {
                    let role = socket::Role::Channel { wanted: &wanted };
                    socket::hear(&self.session_url(), &helix, role, notes_in, &state, &local).await
                }
                // Webhook and conduit subscriptions are the application's:
                // made with its token, for the channel's bot.
                transport => match transport.inboxed(&local).await {
                    Some(inboxed) => {
                        let app =
                            BotCredentials { user_id: channel.bot.user_id.clone(), token: inboxed.app_token.clone() };
                        let key = [brain.org().as_str(), "twitch", channel.channel.as_str()];
                        inbox::hear(inboxed, &self.helix(&app), key, &wanted, notes_in, heard_back, &state, &local)
                            .await
                    }
                    None => Ok(()),
                },
            };
            local.cancel();
            heard
        };
        let answering = async {
            answer(&channel, &brain, notes, decided, receipts, &local).await;
            local.cancel();
        };
        let limit = outbox::send_limit(channel.bot_is_moderator);
        let delivering =
            outbox::deliver(&helix, &brain, &channel.channel, &channel.broadcaster_id, limit, outbox, &local);
        let (heard, (), ()) = tokio::join!(hearing, answering, delivering);
        if heard.is_ok() {
            state.send_replace(ChannelState::Stopped);
        }
        heard
    }

    async fn say(&self, channel: &TwitchChannel, text: &str) -> Result<String, SayError> {
        let helix = self.helix(&channel.bot);
        let text = ChatPlatform::Twitch.fit_message(text);
        let sent = helix.send_chat_message(&channel.broadcaster_id, &text, None).await.map_err(|e| match e {
            HelixError::Unauthorized(message) => SayError::Unauthorized(message),
            HelixError::Refused { status, message } => SayError::Refused { status, message },
            HelixError::RateLimited(times) => {
                SayError::Refused { status: 429, message: format!("rate limited {times} times in a row") }
            }
            HelixError::NoAnswer(why) => SayError::NoAnswer(why),
        })?;
        match sent.drop_reason.filter(|_| !sent.is_sent) {
            // Twitch answers 200 and drops the message (AutoMod, a
            // duplicate, the channel's rules): not said.
            Some(dropped) => Err(SayError::Refused {
                status: 200,
                message: format!("dropped ({}): {}", dropped.code, dropped.message),
            }),
            None if !sent.is_sent => Err(SayError::Refused { status: 200, message: "not sent".into() }),
            None => Ok(sent.message_id),
        }
    }
}

/// Hears notifications in batches and queues what the brain decided.
async fn answer(
    channel: &TwitchChannel,
    brain: &Brain,
    mut notes: mpsc::Receiver<Notification>,
    decided: mpsc::Sender<Outbound>,
    receipts: mpsc::UnboundedSender<Vec<i64>>,
    stop: &CancellationToken,
) {
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    loop {
        let first = tokio::select! {
            _ = stop.cancelled() => return,
            first = notes.recv() => first,
        };
        let Some(first) = first else { return };
        batch.push(first);
        while batch.len() < MOST_PER_BATCH {
            match notes.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let receipted: Vec<i64> = batch.iter().filter_map(|n| n.receipt).collect();
        let (happenings, chat): (Vec<Notification>, Vec<Notification>) =
            batch.drain(..).partition(broadcast::is_stream_event);
        for note in happenings {
            record(brain, &channel.channel, &note, stop).await;
        }
        let messages: Vec<ReceiveChatMessage> = chat.into_iter().filter_map(|n| chat_message(channel, n)).collect();
        let outcomes = if messages.is_empty() { Vec::new() } else { hear(brain, messages, stop).await };
        if stop.is_cancelled() {
            // Stopped while hearing: what was not heard stays in the inbox.
            return;
        }
        for heard in outcomes {
            // A message recorded before (a redelivery the session did not
            // recognise, another process's) was answered when it was first
            // heard: answering again would post twice.
            if heard.accepted.events_written == 0 {
                continue;
            }
            // One id per decision: the message's place in its viewer's
            // stream, and the item's place among what was decided about it.
            let viewer = heard.accepted.aggregate_id.rsplit('/').next().unwrap_or_default().to_owned();
            let items = heard
                .actions
                .into_iter()
                .map(Item::Action)
                .chain(heard.replies.into_iter().map(Item::Reply))
                .chain(heard.whispers.into_iter().map(Item::Whisper));
            for (n, item) in items.enumerate() {
                let id = delivery_id(&viewer, heard.accepted.sequence, n);
                if decided.send(Outbound { id, item }).await.is_err() {
                    return;
                }
            }
        }
        // Heard and its answers queued: the inbox may forget the batch
        // (WebSocket deliveries have no receipt).
        if !receipted.is_empty() {
            let _ = receipts.send(receipted);
        }
    }
}

/// The chat message a notification carries, if it is one the brain hears:
/// not another kind of event, not the bot's own words, not another
/// channel's.
fn chat_message(channel: &TwitchChannel, note: Notification) -> Option<ReceiveChatMessage> {
    if note.subscription_type != "channel.chat.message" {
        tracing::debug!(kind = note.subscription_type, "an EventSub event the Twitch gateway does not hear yet");
        return None;
    }
    let event: chat::ChatMessageEvent = match serde_json::from_value(note.event) {
        Ok(event) => event,
        Err(error) => {
            tracing::warn!(error = %error, "a channel.chat.message that could not be read; skipped");
            return None;
        }
    };
    if event.chatter_user_id == channel.bot.user_id || event.broadcaster_user_id != channel.broadcaster_id {
        return None;
    }
    let sent_at =
        note.sent_at.as_deref().and_then(|at| Timestamp::parse_rfc3339(at).ok()).unwrap_or_else(crate::brain::now);
    match chat::receive(&channel.channel, event, sent_at) {
        Ok(message) => Some(message),
        Err(error) => {
            tracing::warn!(error, "a Twitch chat message WaveStack cannot record; skipped");
            None
        }
    }
}

/// Records a stream event (a follow, a cheer, the stream going online),
/// retrying while the store cannot take it; one Twitch sent that WaveStack
/// cannot read is skipped, logged.
async fn record(brain: &Brain, channel: &ChannelId, note: &Notification, stop: &CancellationToken) {
    let happening = match broadcast::happening(note) {
        Some(Ok(happening)) => happening,
        Some(Err(error)) => return tracing::warn!(error, "a Twitch stream event WaveStack cannot record; skipped"),
        None => return,
    };
    let attempt = || brain.record(channel, happening.clone());
    match with_retries("recording a Twitch stream event", stop, attempt, |e| e.is_transient()).await {
        Tried::Refused(error) => {
            tracing::warn!(error = %error, kind = note.subscription_type, "a Twitch stream event was refused")
        }
        Tried::GaveUp => tracing::error!(
            kind = note.subscription_type,
            "recording a Twitch stream event failed every time; it is lost"
        ),
        Tried::Done(_) | Tried::Stopped => {}
    }
}

/// What the brain made of a batch, with the messages it could not take
/// logged (the store failing is retried; a message refused is final).
async fn hear(brain: &Brain, messages: Vec<ReceiveChatMessage>, stop: &CancellationToken) -> Vec<Heard> {
    // A refused batch (its channel's settings unreadable) is tried again too.
    match with_retries("hearing Twitch chat", stop, || brain.hear(messages.clone()), |_| true).await {
        Tried::Done(outcomes) => outcomes
            .into_iter()
            .filter_map(|outcome| {
                outcome.map_err(|e| tracing::warn!(error = %e, "a Twitch chat message was refused")).ok()
            })
            .collect(),
        Tried::GaveUp => {
            tracing::error!(
                messages = messages.len(),
                "hearing Twitch chat failed every time; these messages are lost"
            );
            Vec::new()
        }
        Tried::Refused(_) | Tried::Stopped => Vec::new(),
    }
}

/// How a call tried again while the store could not take it ended.
enum Tried<T, E> {
    Done(T),
    /// Failed for good (`transient` said so).
    Refused(E),
    /// `stop` fired while it waited.
    Stopped,
    /// Failed every one of `HEARING_TRIES` times.
    GaveUp,
}

/// Calls `attempt` until it succeeds or fails for good, up to
/// `HEARING_TRIES` times, waiting 100 ms and twice as long after each
/// failure; records and message ids make a repeat harmless.
async fn with_retries<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
    what: &str,
    stop: &CancellationToken,
    mut attempt: impl FnMut() -> F,
    transient: impl Fn(&E) -> bool,
) -> Tried<T, E> {
    let mut wait = Duration::from_millis(100);
    for tried in 1..=HEARING_TRIES {
        match attempt().await {
            Ok(done) => return Tried::Done(done),
            Err(error) if !transient(&error) => return Tried::Refused(error),
            Err(error) => {
                tracing::warn!(error = %error, attempt = tried, "{what} failed; trying again");
                tokio::select! {
                    _ = stop.cancelled() => return Tried::Stopped,
                    _ = tokio::time::sleep(wait) => {}
                }
                wait *= 2;
            }
        }
    }
    Tried::GaveUp
}
