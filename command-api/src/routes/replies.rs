//! `GET /v1/bots/replies?after=<cursor>&wait_seconds=<0-30>&limit=<1-500>`:
//! everything the bot said for the caller's org, for bots that did not
//! post the replies from the `202` themselves, or that want the ones
//! caused elsewhere. At least once, in commit order: the cursor is the
//! (transaction, position) of the last reply read, and a row becomes
//! visible only below the snapshot's xmin horizon, as for the outbox
//! relay, so a slow transaction's reply is never skipped.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use wavestack_adapters::http::{ApiError, ValidQuery};
use wavestack_domain::chat_command::CommandUseEvent;

use crate::edge::Caller;
use crate::state::AppState;

const MAX_WAIT_SECONDS: u64 = 30;
const MAX_LIMIT: i64 = 500;
const POLL_EVERY: Duration = Duration::from_millis(200);

const REPLIES_AFTER: &str = "
SELECT transaction_id::text::bigint AS transaction_id, position, payload
  FROM events
 WHERE aggregate_type = 'command_use' AND starts_with(aggregate_id, $1)
   AND (transaction_id, position) > ($2::bigint::text::xid8, $3)
   AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY transaction_id, position
 LIMIT $4";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedQuery {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    wait_seconds: Option<u64>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FeedBody {
    replies: Vec<FeedReply>,
    /// Where to read on from: the last reply's cursor, or the one given.
    next: String,
}

#[derive(Debug, Serialize)]
struct FeedReply {
    cursor: String,
    text: String,
    in_reply_to: String,
    platform: String,
    channel: String,
    user_id: String,
    command: String,
}

#[derive(FromRow)]
struct Row {
    transaction_id: i64,
    position: i64,
    payload: serde_json::Value,
}

/// `<transaction>.<position>`; `0.0` is the beginning.
fn parse_cursor(raw: Option<&str>) -> Result<(i64, i64), ApiError> {
    let Some(raw) = raw else { return Ok((0, 0)) };
    let invalid = || ApiError::invalid_field("after", "must be a cursor from this feed (`<transaction>.<position>`)");
    let (transaction, position) = raw.split_once('.').ok_or_else(invalid)?;
    let transaction: i64 = transaction.parse().map_err(|_| invalid())?;
    let position: i64 = position.parse().map_err(|_| invalid())?;
    if transaction < 0 || position < 0 {
        return Err(invalid());
    }
    Ok((transaction, position))
}

pub(crate) async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<FeedQuery>,
) -> Result<Json<FeedBody>, ApiError> {
    let (mut transaction, mut position) = parse_cursor(query.after.as_deref())?;
    let wait = match query.wait_seconds.unwrap_or(0) {
        s if s <= MAX_WAIT_SECONDS => Duration::from_secs(s),
        _ => return Err(ApiError::invalid_field("wait_seconds", format!("must be from 0 to {MAX_WAIT_SECONDS}"))),
    };
    let limit = match query.limit.unwrap_or(100) {
        l if (1..=MAX_LIMIT).contains(&l) => l,
        _ => return Err(ApiError::invalid_field("limit", format!("must be from 1 to {MAX_LIMIT}"))),
    };
    let org_prefix = format!("{}/", caller.metadata.org);
    let deadline = Instant::now() + wait;
    loop {
        let rows: Vec<Row> = sqlx::query_as(REPLIES_AFTER)
            .bind(&org_prefix)
            .bind(transaction)
            .bind(position)
            .bind(limit)
            .fetch_all(&state.pool)
            .await
            .map_err(|e| ApiError::internal(anyhow::Error::new(e).context("reading the bots' feed")))?;
        let mut replies = Vec::new();
        for row in &rows {
            (transaction, position) = (row.transaction_id, row.position);
            let event: CommandUseEvent = serde_json::from_value(row.payload.clone())
                .map_err(|e| ApiError::internal(anyhow::Error::new(e).context("decoding a command use")))?;
            let Some(text) = event.reply().filter(|t| !t.is_empty()) else { continue };
            let invoker = event.invoker();
            let command = match &event {
                CommandUseEvent::CommandAnswered(e) => e.command.to_string(),
                CommandUseEvent::CommandRefused(e) => e.command.to_string(),
            };
            replies.push(FeedReply {
                cursor: format!("{transaction}.{position}"),
                text: text.to_owned(),
                in_reply_to: invoker.message_id.to_string(),
                platform: invoker.platform.to_string(),
                channel: invoker.channel.to_string(),
                user_id: invoker.user_id.to_string(),
                command,
            });
        }
        // Rows without a reply (silent refusals) still move the cursor.
        if !replies.is_empty() || (rows.len() as i64) == limit || Instant::now() >= deadline {
            return Ok(Json(FeedBody { replies, next: format!("{transaction}.{position}") }));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
