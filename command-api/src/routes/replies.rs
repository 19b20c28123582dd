//! `GET /v1/bots/replies?after=<cursor>&wait_seconds=<0-30>&limit=<1-500>`:
//! everything the bot said and every moderation action (delete, timeout,
//! ban, unban) for the caller's org, for bots that did not act on the `202`
//! themselves, or that want what was caused elsewhere (a moderator's
//! action over HTTP). At least once, in commit order: the cursor is the
//! (transaction, position) of the last reply read, and a row becomes
//! visible only below the snapshot's xmin horizon, as for the outbox
//! relay, so a slow transaction's reply is never skipped. The same feed
//! is pushed over a WebSocket (`socket`).
//!
//! Waiting is bounded per caller and per org (`FEED_WAITS_PER_CALLER`
//! long polls with `wait_seconds` and sockets at once, 429 past it): one
//! org's bot held 1,100 long polls, each a place among the API's in-flight
//! requests, and another org's chat was refused as overloaded.

use std::time::{Duration, Instant};
use wavestack_api_types::replies::{FeedAction, FeedBody, FeedReply};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use wavestack_adapters::event_store::{Horizon, LogCursor, Selection, Tail};
use wavestack_adapters::http::{ApiError, CallerSlot, Refused, ValidQuery};
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::chat_command::CommandUseEvent;
use wavestack_domain::value::ChatStreamId;

use wavestack_app::chat::{action_of, MODERATION_REPLY};

use crate::edge::Caller;
use crate::state::AppState;

const MAX_WAIT_SECONDS: u64 = 30;
const MAX_LIMIT: i64 = 500;
const POLL_EVERY: Duration = Duration::from_millis(200);
/// Long polls that wait and sockets one caller holds at once.
pub(crate) const FEED_WAITS_PER_CALLER: usize = 16;
/// The same for all of one org's callers together.
pub(crate) const FEED_WAITS_PER_ORG: usize = 64;
/// The largest frame or message a feed socket takes from its client,
/// which has nothing to send but pings and a close.
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;

/// A place to wait on the feed, for the caller and its org; 429 past either.
fn wait_slots(state: &AppState, caller: &Caller) -> Result<(CallerSlot, CallerSlot), ApiError> {
    let org = caller.metadata.org.to_string();
    let who = format!("{org}/{}", caller.principal.subject);
    let too_many = || {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_waits",
            format!(
                "at most {FEED_WAITS_PER_CALLER} waiting reads and sockets per caller, {FEED_WAITS_PER_ORG} per org"
            ),
        )
        .with_retry_after(Duration::from_secs(1))
    };
    let mine = state.feed_waits.take(who).ok_or_else(too_many)?;
    let ours = state.feed_org_waits.take(org).ok_or_else(too_many)?;
    Ok((mine, ours))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedQuery {
    /// `next` of the previous answer; the beginning if absent.
    #[serde(default)]
    after: Option<String>,
    /// Wait up to this long (0 to 30) for a reply after the cursor.
    #[serde(default)]
    wait_seconds: Option<u64>,
    /// Rows read at most (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    #[serde(default)]
    limit: Option<i64>,
}

/// One row of the feed, as the socket sends it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum FeedItem {
    Reply(FeedReply),
    Action(FeedAction),
}

/// What the feed carries: every command use (its reply), and the chat
/// events that act on a viewer.
fn feed_tail(org_prefix: &str) -> Tail {
    Tail::new(Selection {
        aggregates: vec!["command_use".to_owned()],
        events: ["MessageModerated", "ModeratorActed"].map(|e| ("chat".to_owned(), e.to_owned())).to_vec(),
        aggregate_id_prefix: Some(org_prefix.to_owned()),
    })
}

/// `<transaction>.<position>`; `0.0` is the beginning.
fn parse_cursor(raw: Option<&str>) -> Result<Cursor, ApiError> {
    let Some(raw) = raw else { return Ok(Cursor { transaction: 0, position: 0 }) };
    let invalid = || ApiError::invalid_field("after", "must be a cursor from this feed (`<transaction>.<position>`)");
    let (transaction, position) = raw.split_once('.').ok_or_else(invalid)?;
    let transaction: i64 = transaction.parse().map_err(|_| invalid())?;
    let position: i64 = position.parse().map_err(|_| invalid())?;
    if transaction < 0 || position < 0 {
        return Err(invalid());
    }
    Ok(Cursor { transaction, position })
}

/// Where a reader of the feed is: the (transaction, position) of the last
/// row it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    transaction: i64,
    position: i64,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.transaction, self.position)
    }
}

/// The replies and actions after `cursor`, at most `limit` rows read, and
/// the cursor after them; rows that say nothing (silent refusals, pardons)
/// move it too.
async fn read_after(
    pool: &sqlx::PgPool,
    org_prefix: &str,
    mut cursor: Cursor,
    limit: i64,
) -> Result<(Vec<FeedItem>, Cursor, bool), ApiError> {
    let mut conn = pool.acquire().await.map_err(|e| ApiError::internal(anyhow::Error::new(e)))?;
    let after = LogCursor { transaction_id: cursor.transaction, position: cursor.position };
    let rows = feed_tail(org_prefix)
        .read(&mut conn, after, Horizon::Now, limit)
        .await
        .map_err(|e| ApiError::internal(e.context("reading the bots' feed")))?;
    let full = rows.len() as i64 == limit;
    let mut items = Vec::new();
    for row in rows {
        cursor = Cursor { transaction: row.transaction_id, position: row.position };
        let decoding = |e: serde_json::Error| ApiError::internal(anyhow::Error::new(e).context("decoding the feed"));
        if row.aggregate_type == "chat" {
            let event: ChatEvent = serde_json::from_str(&row.payload).map_err(decoding)?;
            let stream = ChatStreamId::parse(&row.aggregate_id)
                .map_err(|e| ApiError::internal(anyhow::anyhow!("a chat stream id in the store: {e}")))?;
            if let ChatEvent::MessageModerated(m) = &event {
                if !m.reply.is_empty() {
                    items.push(FeedItem::Reply(FeedReply {
                        kind: "reply".into(),
                        cursor: cursor.to_string(),
                        text: stream.platform().fit_message(&m.reply),
                        in_reply_to: m.message_id.to_string(),
                        platform: stream.platform().to_string(),
                        channel: stream.channel().to_string(),
                        user_id: stream.user().to_string(),
                        command: MODERATION_REPLY.to_owned(),
                    }));
                }
            }
            if let Some(action) = action_of(&stream, &event) {
                items.push(FeedItem::Action(FeedAction { kind: "action".into(), cursor: cursor.to_string(), action }));
            }
            continue;
        }
        let event: CommandUseEvent = serde_json::from_str(&row.payload).map_err(decoding)?;
        let Some(text) = event.reply().filter(|t| !t.is_empty()) else { continue };
        let invoker = event.invoker();
        let command = match &event {
            CommandUseEvent::CommandAnswered(e) => e.command.to_string(),
            CommandUseEvent::CommandRefused(e) => e.command.to_string(),
        };
        items.push(FeedItem::Reply(FeedReply {
            kind: "reply".into(),
            cursor: cursor.to_string(),
            text: text.to_owned(),
            in_reply_to: invoker.message_id.to_string(),
            platform: invoker.platform.to_string(),
            channel: invoker.channel.to_string(),
            user_id: invoker.user_id.to_string(),
            command,
        }));
    }
    Ok((items, cursor, full))
}

#[utoipa::path(
    get,
    path = "/v1/bots/replies",
    tag = "bots",
    params(FeedQuery),
    responses((status = 200, description = "The replies after the cursor, and the cursor to read on from", body = FeedBody), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<FeedQuery>,
) -> Result<Json<FeedBody>, ApiError> {
    let mut cursor = parse_cursor(query.after.as_deref())?;
    let wait = match query.wait_seconds.unwrap_or(0) {
        s if s <= MAX_WAIT_SECONDS => Duration::from_secs(s),
        _ => return Err(ApiError::invalid_field("wait_seconds", format!("must be from 0 to {MAX_WAIT_SECONDS}"))),
    };
    let limit = limit(query.limit)?;
    let _places = if wait.is_zero() { None } else { Some(wait_slots(&state, &caller)?) };
    let org_prefix = format!("{}/", caller.metadata.org);
    let deadline = Instant::now() + wait;
    loop {
        let (items, after, full) = read_after(&state.pool, &org_prefix, cursor, limit).await?;
        cursor = after;
        if !items.is_empty() || full || Instant::now() >= deadline {
            let (mut replies, mut actions) = (Vec::new(), Vec::new());
            for item in items {
                match item {
                    FeedItem::Reply(reply) => replies.push(reply),
                    FeedItem::Action(action) => actions.push(action),
                }
            }
            return Ok(Json(FeedBody { replies, actions, next: cursor.to_string() }));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    match raw.unwrap_or(100) {
        l if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        _ => Err(ApiError::invalid_field("limit", format!("must be from 1 to {MAX_LIMIT}"))),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SocketQuery {
    #[serde(default)]
    after: Option<String>,
}

/// `GET /v1/bots/replies/socket?after=<cursor>`: the same feed pushed over
/// a WebSocket, one JSON text frame per reply (with its cursor), as they
/// commit. Closed with code 4001 when the token expires: reconnect with a
/// fresh token and the last cursor.
#[utoipa::path(
    get,
    path = "/v1/bots/replies/socket",
    tag = "bots",
    params(SocketQuery),
    responses((status = 101, description = "A WebSocket of the feed: one JSON `FeedReply` (`kind: reply`) or `FeedAction` (`kind: action`) per text frame"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn socket(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<SocketQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let cursor = parse_cursor(query.after.as_deref())?;
    // Said in this API's error shape, not axum's plain text.
    let upgrade = upgrade.map_err(|rejection| ApiError::websocket_required(rejection.body_text()))?;
    let places = wait_slots(&state, &caller)?;
    let org_prefix = format!("{}/", caller.metadata.org);
    let expires_at = caller.principal.expires_at;
    let upgrade = upgrade.max_message_size(MAX_CLIENT_MESSAGE).max_frame_size(MAX_CLIENT_MESSAGE);
    Ok(upgrade.on_upgrade(move |socket| push(socket, state.pool, org_prefix, cursor, expires_at, places)))
}

/// Pushes the feed until the client goes or the token expires; `_places`
/// is held as long.
async fn push(
    mut socket: WebSocket,
    pool: sqlx::PgPool,
    org_prefix: String,
    mut cursor: Cursor,
    expires_at: i64,
    _places: (CallerSlot, CallerSlot),
) {
    loop {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if now >= expires_at {
            let close = CloseFrame { code: 4001, reason: "token expired".into() };
            let _ = socket.send(Message::Close(Some(close))).await;
            return;
        }
        match read_after(&pool, &org_prefix, cursor, MAX_LIMIT).await {
            Ok((items, after, full)) => {
                cursor = after;
                for item in items {
                    let Ok(text) = serde_json::to_string(&item) else { continue };
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                if full {
                    continue;
                }
            }
            Err(_) => {
                let close = CloseFrame { code: 1011, reason: "the feed is unavailable; reconnect".into() };
                let _ = socket.send(Message::Close(Some(close))).await;
                return;
            }
        }
        // Wait for the next poll, or for the client to go.
        tokio::select! {
            _ = tokio::time::sleep(POLL_EVERY) => {}
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
