//! `GET /v1/channels/{channel}/leaderboard?window=all|7d&limit=&cursor=`

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused};
use wavestack_domain::value::ChannelId;
use wavestack_projections::leaderboard::{self, Entry, Window};
use wavestack_projections::ProjectionKind;

use super::params::{after_position, limit};
use super::read_your_writes::{wait_for, Consistency, ReadQuery};
use super::waiters::Waiters;

const MAX_LIMIT: i64 = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LeaderboardPage)]
pub(crate) struct Page {
    channel: String,
    window: &'static str,
    #[schema(value_type = Vec<Object>)]
    entries: Vec<Entry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/channels/{channel}/leaderboard",
    tag = "read models",
    params(("channel" = String, Path, description = "The channel id"), Params, Consistency),
    responses((status = 200, description = "Ranks, points (balances) and messages, a page at a time", body = Page), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn leaderboard(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    Path(channel): Path<String>,
    ReadQuery(params, consistency): ReadQuery<Params>,
) -> Result<Json<Page>, ApiError> {
    let channel = ChannelId::parse(channel).map_err(|e| ApiError::invalid_value("channel", &e))?;
    let (window, window_name) = match params.window.as_deref() {
        None | Some("all") => (Window::AllTime, "all"),
        Some("7d") => (Window::LastSevenDays, "7d"),
        Some(_) => {
            return Err(ApiError::invalid_field("window", "must be `all` or `7d`").with_reason("unknown_variant"))
        }
    };
    let limit = limit(params.limit, 50, MAX_LIMIT)?;
    // The cursor is the last rank of the previous page.
    let after = after_position(params.cursor.as_deref())?;
    let schema = ProjectionKind::Leaderboard.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let entries = leaderboard::read(&pool, &schema, principal.org.as_str(), channel.as_str(), window, after, limit + 1)
        .await
        .map_err(ApiError::internal)?;
    let mut entries = entries;
    let next_cursor = if entries.len() as i64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.rank.to_string())
    } else {
        None
    };
    Ok(Json(Page { channel: channel.to_string(), window: window_name, entries, next_cursor }))
}
