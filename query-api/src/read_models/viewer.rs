//! `GET /v1/channels/{platform}/{channel}/viewers/{user_id}?limit=&before=`:
//! a viewer's balance and what moved it, newest first (awards, prices,
//! gifts sent and received, refunds, daily bonuses), from their stream in
//! the event store: the truth, never behind a projection.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::event_store::reads::balance_moves;
use wavestack_adapters::http::{ApiError, Refused, ValidQuery};
use wavestack_domain::chat::ChatEvent;
use wavestack_domain::value::{ChannelId, ChatPlatform, ChatStreamId, PlatformUserId};

use super::params::limit;

const MAX_LIMIT: i64 = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    /// Moves per page, 1 to 500 (default 50).
    #[serde(default)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    before: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Standing {
    user_id: String,
    /// The balance now (0 for a viewer never seen).
    balance: u64,
    history: Vec<Move>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Move {
    /// PointsAwarded, PointsSpent, PointsSent, PointsReceived, PointsRefunded or DailyBonusClaimed.
    event: String,
    /// Signed: what the event added to the balance.
    change: i64,
    balance: u64,
    /// RFC 3339.
    at: String,
    sequence: i64,
}

#[utoipa::path(
    get,
    path = "/v1/channels/{platform}/{channel}/viewers/{user_id}",
    tag = "read models",
    params(
        ("platform" = String, Path, description = "twitch, discord, slack or youtube"),
        ("channel" = String, Path, description = "The channel id"),
        ("user_id" = String, Path, description = "The platform's user id"),
        Params
    ),
    responses(
        (status = 200, description = "The viewer's balance and its history, newest first", body = Standing),
        Refused
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn viewer(
    State(pool): State<PgPool>,
    Extension(principal): Extension<Principal>,
    Path((platform, channel, user_id)): Path<(String, String, String)>,
    ValidQuery(params): ValidQuery<Params>,
) -> Result<Json<Standing>, ApiError> {
    let platform = ChatPlatform::parse(&platform).map_err(|e| ApiError::invalid_value("platform", &e))?;
    let channel = ChannelId::parse(channel).map_err(|e| ApiError::invalid_value("channel", &e))?;
    let user = PlatformUserId::parse(user_id).map_err(|e| ApiError::invalid_value("user_id", &e))?;
    let limit = limit(params.limit, 50, MAX_LIMIT)?;
    let before = match params.before.as_deref() {
        None => i64::MAX,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::invalid_field("before", "must be a cursor from this route"))?,
    };
    // The org is the token's: another org's viewer is a stream that does not exist.
    let stream = ChatStreamId::new(&principal.org, platform, &channel, &user);
    let (history, full) = moves(&pool, stream.as_str(), before, limit).await?;
    // The newest move's balance is the balance, on the first page; a later
    // page reads the stream's newest move for it.
    let balance = if before == i64::MAX {
        history.first().map_or(0, |m| m.balance)
    } else {
        moves(&pool, stream.as_str(), i64::MAX, 1).await?.0.first().map_or(0, |m| m.balance)
    };
    let next_cursor = if full { history.last().map(|m| m.sequence.to_string()) } else { None };
    Ok(Json(Standing { user_id: user.to_string(), balance, history, next_cursor }))
}

/// Up to `limit` moves of the stream below sequence `before`, newest
/// first, and whether the page is full (more may follow).
async fn moves(pool: &PgPool, stream: &str, before: i64, limit: i64) -> Result<(Vec<Move>, bool), ApiError> {
    let rows = balance_moves(pool, stream, before, limit).await.map_err(ApiError::internal)?;
    let full = rows.len() as i64 == limit;
    let mut history = Vec::with_capacity(rows.len());
    for row in rows {
        let event: ChatEvent = serde_json::from_value(row.payload)
            .map_err(|e| ApiError::internal(anyhow::Error::new(e).context("decoding a chat event")))?;
        let Some((change, balance)) = event.balance_change() else { continue };
        history.push(Move {
            event: row.event_type,
            change,
            balance,
            at: row.occurred_at.unwrap_or_default(),
            sequence: row.sequence,
        });
    }
    Ok((history, full))
}
