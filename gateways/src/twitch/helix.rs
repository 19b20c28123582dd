//! The Twitch API (Helix) calls a chat bot makes: subscribe to EventSub,
//! send a chat message, delete one, ban or time out, and unban. Each call
//! honours Helix's rate limit: a `429` waits for `Ratelimit-Reset` and asks
//! again, and a bucket seen empty (`Ratelimit-Remaining: 0`) holds the next
//! call until it refills.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::TokenSource;

/// Helix's `{"data": [...]}`.
#[derive(Debug, Deserialize)]
struct Listed<T> {
    data: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct ConduitInfo {
    id: String,
    shard_count: u32,
}

/// How long one call may take before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A `429` without `Ratelimit-Reset` waits this long.
const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);
/// A reset already past (the header counts whole seconds) still waits
/// this long, so a storm of `429`s is not answered with a storm of calls.
const LEAST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest a `Ratelimit-Reset` is believed: a clock far off must not
/// park the channel.
const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// A call refused this many times in a row for the rate limit is given up
/// (and recorded as failed with Twitch's answer).
const MOST_RATE_LIMITED_TRIES: u32 = 30;

/// The bot's user and where its token comes from: Helix acts as this user.
#[derive(Debug, Clone)]
pub struct BotCredentials {
    pub user_id: String,
    pub token: Arc<dyn TokenSource>,
}

/// One Helix client per token: its rate-limit bucket is the token's.
#[derive(Debug, Clone)]
pub(crate) struct Helix {
    http: reqwest::Client,
    base: Url,
    client_id: String,
    bot: BotCredentials,
    /// When the bucket refills, once it was seen empty.
    refill_at: Arc<Mutex<Option<Instant>>>,
}

/// What Twitch answered when it refused a call, kept for the record.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum HelixError {
    /// 401: the token expired or was revoked.
    #[error("401 {0}")]
    Unauthorized(String),
    /// 403 on a missing scope, or any other refusal, as Twitch put it.
    #[error("{status} {message}")]
    Refused { status: u16, message: String },
    /// Still rate limited after every try.
    #[error("429 rate limited {0} times in a row")]
    RateLimited(u32),
    /// No answer (a timeout, a reset connection): the call may or may not
    /// have taken effect.
    #[error("no answer: {0}")]
    NoAnswer(String),
}

impl HelixError {
    /// What a refused delivery records: Twitch's status and its words.
    pub(crate) fn status_and_answer(&self) -> (u16, String) {
        match self {
            HelixError::Unauthorized(message) => (401, message.clone()),
            HelixError::Refused { status, message } => (*status, message.clone()),
            HelixError::RateLimited(_) => (429, self.to_string()),
            HelixError::NoAnswer(why) => (0, why.clone()),
        }
    }
}

/// `data[0]` of Send Chat Message.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SentMessage {
    pub(crate) message_id: String,
    pub(crate) is_sent: bool,
    #[serde(default)]
    pub(crate) drop_reason: Option<DropReason>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DropReason {
    pub(crate) code: String,
    pub(crate) message: String,
}

#[derive(Debug, Serialize)]
struct SendChatMessage<'a> {
    broadcaster_id: &'a str,
    sender_id: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_parent_message_id: Option<&'a str>,
}

/// The HTTP client Helix calls go out on.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(CALL_TIMEOUT).build().expect("a TLS-capable HTTP client")
}

impl Helix {
    /// `http`: shared by every channel of a process (one connection pool,
    /// one TLS configuration); see [`client`].
    pub(crate) fn new(http: reqwest::Client, base: Url, client_id: String, bot: BotCredentials) -> Self {
        Self { http, base, client_id, bot, refill_at: Arc::new(Mutex::new(None)) }
    }

    /// Create EventSub Subscription over `transport` (a WebSocket session,
    /// or a webhook callback with its secret). A subscription that exists
    /// already (409) is what was asked for.
    pub(crate) async fn subscribe(
        &self,
        kind: &str,
        version: &str,
        condition: Value,
        transport: &Value,
    ) -> Result<(), HelixError> {
        let body = json!({
            "type": kind,
            "version": version,
            "condition": condition,
            "transport": transport,
        });
        let response = self.call(Method::POST, "eventsub/subscriptions", &[], |r| r.json(&body)).await?;
        match response.status() {
            StatusCode::ACCEPTED | StatusCode::CONFLICT => Ok(()),
            _ => Err(refused(response).await),
        }
    }

    /// Send Chat Message, as the bot, answering `reply_to` when given.
    pub(crate) async fn send_chat_message(
        &self,
        broadcaster_id: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<SentMessage, HelixError> {
        let body = SendChatMessage {
            broadcaster_id,
            sender_id: &self.bot.user_id,
            message: text,
            reply_parent_message_id: reply_to,
        };
        let response = self.call(Method::POST, "chat/messages", &[], |r| r.json(&body)).await?;
        if response.status() != StatusCode::OK {
            return Err(refused(response).await);
        }
        #[derive(Deserialize)]
        struct Answer {
            data: Vec<SentMessage>,
        }
        let answer: Answer =
            response.json().await.map_err(|e| HelixError::NoAnswer(format!("an unreadable answer: {e}")))?;
        answer.data.into_iter().next().ok_or_else(|| HelixError::NoAnswer("an answer without data".into()))
    }

    /// Send Whisper, from the bot to `to_user_id`.
    pub(crate) async fn send_whisper(&self, to_user_id: &str, text: &str) -> Result<(), HelixError> {
        let query = [("from_user_id", self.bot.user_id.as_str()), ("to_user_id", to_user_id)];
        let body = json!({ "message": text });
        let response = self.call(Method::POST, "whispers", &query, |r| r.json(&body)).await?;
        match response.status() {
            StatusCode::NO_CONTENT => Ok(()),
            _ => Err(refused(response).await),
        }
    }

    /// Delete Chat Messages: one message, as the bot (a moderator).
    pub(crate) async fn delete_chat_message(&self, broadcaster_id: &str, message_id: &str) -> Result<(), HelixError> {
        let query = [
            ("broadcaster_id", broadcaster_id),
            ("moderator_id", self.bot.user_id.as_str()),
            ("message_id", message_id),
        ];
        let response = self.call(Method::DELETE, "moderation/chat", &query, |r| r).await?;
        match response.status() {
            StatusCode::NO_CONTENT => Ok(()),
            _ => Err(refused(response).await),
        }
    }

    /// Ban User: a timeout with `duration` (seconds), a ban without.
    pub(crate) async fn ban(
        &self,
        broadcaster_id: &str,
        user_id: &str,
        duration: Option<u32>,
        reason: &str,
    ) -> Result<(), HelixError> {
        let query = [("broadcaster_id", broadcaster_id), ("moderator_id", self.bot.user_id.as_str())];
        let mut data = json!({ "user_id": user_id, "reason": reason });
        if let Some(seconds) = duration {
            data["duration"] = json!(seconds);
        }
        let body = json!({ "data": data });
        let response = self.call(Method::POST, "moderation/bans", &query, |r| r.json(&body)).await?;
        match response.status() {
            StatusCode::OK => Ok(()),
            _ => Err(refused(response).await),
        }
    }

    /// Unban User.
    pub(crate) async fn unban(&self, broadcaster_id: &str, user_id: &str) -> Result<(), HelixError> {
        let query =
            [("broadcaster_id", broadcaster_id), ("moderator_id", self.bot.user_id.as_str()), ("user_id", user_id)];
        let response = self.call(Method::DELETE, "moderation/bans", &query, |r| r).await?;
        match response.status() {
            StatusCode::NO_CONTENT => Ok(()),
            _ => Err(refused(response).await),
        }
    }

    /// The client's first conduit (Get Conduits): its id and shard count.
    pub(crate) async fn conduit(&self) -> Result<Option<(String, u32)>, HelixError> {
        let response = self.call(Method::GET, "eventsub/conduits", &[], |r| r).await?;
        if response.status() != StatusCode::OK {
            return Err(refused(response).await);
        }
        let listed: Listed<ConduitInfo> = response.json().await.map_err(|e| HelixError::NoAnswer(e.to_string()))?;
        Ok(listed.data.into_iter().next().map(|c| (c.id, c.shard_count)))
    }

    /// Create Conduits with `shard_count` shards: the new conduit's id.
    pub(crate) async fn create_conduit(&self, shard_count: u32) -> Result<String, HelixError> {
        let body = json!({ "shard_count": shard_count });
        let response = self.call(Method::POST, "eventsub/conduits", &[], |r| r.json(&body)).await?;
        if response.status() != StatusCode::OK {
            return Err(refused(response).await);
        }
        let listed: Listed<ConduitInfo> = response.json().await.map_err(|e| HelixError::NoAnswer(e.to_string()))?;
        listed
            .data
            .into_iter()
            .next()
            .map(|c| c.id)
            .ok_or_else(|| HelixError::NoAnswer("no conduit in the answer".into()))
    }

    /// Update Conduits: the conduit has `shard_count` shards from now on.
    pub(crate) async fn resize_conduit(&self, conduit_id: &str, shard_count: u32) -> Result<(), HelixError> {
        let body = json!({ "id": conduit_id, "shard_count": shard_count });
        let response = self.call(Method::PATCH, "eventsub/conduits", &[], |r| r.json(&body)).await?;
        match response.status() {
            StatusCode::OK => Ok(()),
            _ => Err(refused(response).await),
        }
    }

    /// Update Conduit Shards: shard `shard` is the WebSocket session
    /// `session_id` from now on. Twitch answers 202 with a list of errors;
    /// one for this shard is a refusal.
    pub(crate) async fn assign_shard(&self, conduit_id: &str, shard: u32, session_id: &str) -> Result<(), HelixError> {
        let body = json!({
            "conduit_id": conduit_id,
            "shards": [{"id": shard.to_string(), "transport": {"method": "websocket", "session_id": session_id}}],
        });
        let response = self.call(Method::PATCH, "eventsub/conduits/shards", &[], |r| r.json(&body)).await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(refused(response).await);
        }
        let answer: Value = response.json().await.map_err(|e| HelixError::NoAnswer(e.to_string()))?;
        match answer["errors"].as_array().and_then(|errors| errors.first()) {
            Some(error) => Err(HelixError::Refused {
                status: 202,
                message: error["message"].as_str().unwrap_or("the shard was not updated").to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// One call; a `401` (not for a missing scope) renews the token once
    /// and calls again.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, HelixError> {
        let token = self.bot.token.current();
        match self.call_with(token.expose(), method.clone(), path, query, &body).await {
            Err(HelixError::Unauthorized(message)) if !message.contains("scope") => {
                let renewed =
                    self.bot.token.renew().await.map_err(|why| {
                        HelixError::Unauthorized(format!("{message}; renewing the token failed: {why}"))
                    })?;
                tracing::info!(path, "Helix refused the token; renewed it and calling again");
                self.call_with(renewed.expose(), method, path, query, &body).await
            }
            other => other,
        }
    }

    /// One call with `token`, retried while Helix answers `429`.
    async fn call_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, HelixError> {
        let url = self.base.join(path).expect("a Helix path joins its base");
        for _ in 0..MOST_RATE_LIMITED_TRIES {
            self.wait_for_bucket().await;
            let request = self
                .http
                .request(method.clone(), url.clone())
                .query(query)
                .bearer_auth(token)
                .header("Client-Id", &self.client_id);
            // The error names the URL (no credential is in it), never the headers.
            let response = body(request).send().await.map_err(|e| HelixError::NoAnswer(e.without_url().to_string()))?;
            let reset = header_number(&response, "ratelimit-reset").map(until_epoch);
            let empty = header_number(&response, "ratelimit-remaining") == Some(0);
            match response.status() {
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait = reset.unwrap_or(DEFAULT_BACKOFF).max(LEAST_BACKOFF);
                    tracing::info!(path, wait_ms = wait.as_millis() as u64, "Helix rate limit; waiting for the bucket");
                    *self.refill_at.lock().await = Some(Instant::now() + wait);
                }
                StatusCode::UNAUTHORIZED => return Err(HelixError::Unauthorized(message_of(response).await)),
                _ => {
                    if empty {
                        *self.refill_at.lock().await = Some(Instant::now() + reset.unwrap_or(DEFAULT_BACKOFF));
                    }
                    return Ok(response);
                }
            }
        }
        Err(HelixError::RateLimited(MOST_RATE_LIMITED_TRIES))
    }

    async fn wait_for_bucket(&self) {
        let refill_at = *self.refill_at.lock().await;
        if let Some(at) = refill_at {
            tokio::time::sleep_until(at).await;
        }
    }
}

fn header_number(response: &Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.trim().parse().ok()
}

/// From now until the Unix second `epoch`, at most [`LONGEST_WAIT`].
fn until_epoch(epoch: u64) -> Duration {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let at = i128::from(epoch) * 1_000_000_000;
    let nanos = u64::try_from((at - now).max(0)).unwrap_or(u64::MAX);
    Duration::from_nanos(nanos).min(LONGEST_WAIT)
}

async fn refused(response: Response) -> HelixError {
    let status = response.status().as_u16();
    HelixError::Refused { status, message: message_of(response).await }
}

/// Helix's `{"error","status","message"}`, or the body as it came (cut short).
async fn message_of(response: Response) -> String {
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Value>(&text) {
        Ok(body) => body["message"].as_str().map(str::to_owned).unwrap_or(text),
        Err(_) => text.chars().take(300).collect(),
    }
}
