//! `GET /v1/channels/{platform}/{channel}/moderation?user_id=&action=&filter=&limit=&cursor=`:
//! the channel's moderation log, newest first: who, what, why (the filter
//! and its evidence, or the moderator's reason) and by whom.
//! `GET /v1/channels/{platform}/{channel}/viewers/{user_id}/standing`: a
//! viewer's live strikes, timeouts and ban.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused};
use wavestack_domain::moderation::{ActionKind, Cause, ModeratorAction};
use wavestack_domain::value::{ChannelId, ChatPlatform, PlatformUserId};
use wavestack_projections::moderation::{self, LogEntry, LogFilter, Standing};
use wavestack_projections::ProjectionKind;

use super::params::limit;
use super::read_your_writes::{wait_for, Consistency, ReadQuery};
use super::waiters::Waiters;

const MAX_LIMIT: i64 = 500;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogParams {
    /// Only this viewer's entries.
    #[serde(default)]
    user_id: Option<String>,
    /// delete, timeout, ban, unban, pardon or permit.
    #[serde(default)]
    action: Option<String>,
    /// The filter that decided: banned_terms, links, flood, length, caps,
    /// symbols, repetition, emotes, or banned / timed_out.
    #[serde(default)]
    filter: Option<String>,
    /// Entries per page, 1 to 500 (default 50).
    #[serde(default)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ModerationLogPage)]
pub(crate) struct LogPage {
    platform: String,
    channel: String,
    #[schema(value_type = Vec<Object>)]
    entries: Vec<LogEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn channel_of(platform: &str, channel: String) -> Result<(ChatPlatform, ChannelId), ApiError> {
    Ok((
        ChatPlatform::parse(platform).map_err(|e| ApiError::invalid_value("platform", &e))?,
        ChannelId::parse(channel).map_err(|e| ApiError::invalid_value("channel", &e))?,
    ))
}

/// `<unix micros>:<sequence>:<stream>` of the last entry read.
fn parse_cursor(raw: &str) -> Result<(OffsetDateTime, i64, String), ApiError> {
    let invalid = || ApiError::invalid_field("cursor", "must be a cursor from this route");
    let mut parts = raw.splitn(3, ':');
    let (Some(micros), Some(sequence), Some(stream)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let micros: i128 = micros.parse().map_err(|_| invalid())?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).map_err(|_| invalid())?;
    Ok((at, sequence.parse().map_err(|_| invalid())?, stream.to_owned()))
}

fn cursor_of(entry: &LogEntry) -> String {
    format!("{}:{}:{}", entry.at.unix_timestamp_nanos() / 1000, entry.sequence, entry.stream)
}

#[utoipa::path(
    get,
    path = "/v1/channels/{platform}/{channel}/moderation",
    tag = "read models",
    params(
        ("platform" = String, Path, description = "twitch, discord, slack or youtube"),
        ("channel" = String, Path, description = "The channel id"),
        LogParams,
        Consistency
    ),
    responses((status = 200, description = "The moderation log, newest first", body = LogPage), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn log(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    Path((platform, channel)): Path<(String, String)>,
    ReadQuery(params, consistency): ReadQuery<LogParams>,
) -> Result<Json<LogPage>, ApiError> {
    let (platform, channel) = channel_of(&platform, channel)?;
    let user_id = params
        .user_id
        .map(|u| PlatformUserId::parse(u).map(|u| u.to_string()).map_err(|e| ApiError::invalid_value("user_id", &e)))
        .transpose()?;
    let action = match params.action {
        Some(raw) => {
            let known = ActionKind::parse(&raw).is_ok() || ModeratorAction::parse(&raw).is_ok();
            if !known {
                return Err(ApiError::invalid_field(
                    "action",
                    "must be one of: delete, timeout, ban, unban, pardon, permit",
                )
                .with_reason("unknown_variant"));
            }
            Some(raw)
        }
        None => None,
    };
    let cause = params
        .filter
        .map(|raw| Cause::parse(&raw).map(|c| c.as_str().to_owned()).map_err(|e| ApiError::invalid_value("filter", &e)))
        .transpose()?;
    let limit = limit(params.limit, 50, MAX_LIMIT)?;
    let before = params.cursor.as_deref().map(parse_cursor).transpose()?;
    let schema = ProjectionKind::Moderation.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let filter = LogFilter { user_id, action, cause, before };
    let mut entries = moderation::log(
        &pool,
        &schema,
        principal.org.as_str(),
        platform.as_str(),
        channel.as_str(),
        &filter,
        limit + 1,
    )
    .await
    .map_err(ApiError::internal)?;
    let next_cursor = if entries.len() as i64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(cursor_of)
    } else {
        None
    };
    Ok(Json(LogPage { platform: platform.to_string(), channel: channel.to_string(), entries, next_cursor }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct StandingParams {}

/// A viewer no decision ever touched has a clean standing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ModerationStanding)]
pub(crate) struct StandingBody {
    user_id: String,
    /// Strikes that still count.
    strikes: usize,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    standing: Option<Standing>,
}

#[utoipa::path(
    get,
    path = "/v1/channels/{platform}/{channel}/viewers/{user_id}/standing",
    tag = "read models",
    params(
        ("platform" = String, Path, description = "twitch, discord, slack or youtube"),
        ("channel" = String, Path, description = "The channel id"),
        ("user_id" = String, Path, description = "The platform's user id"),
        StandingParams,
        Consistency
    ),
    responses((status = 200, description = "Live strikes, timeouts and ban", body = StandingBody), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn standing(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    Path((platform, channel, user_id)): Path<(String, String, String)>,
    ReadQuery(_params, consistency): ReadQuery<StandingParams>,
) -> Result<Json<StandingBody>, ApiError> {
    let (platform, channel) = channel_of(&platform, channel)?;
    let user = PlatformUserId::parse(user_id).map_err(|e| ApiError::invalid_value("user_id", &e))?;
    let schema = ProjectionKind::Moderation.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let standing = moderation::standing(
        &pool,
        &schema,
        principal.org.as_str(),
        platform.as_str(),
        channel.as_str(),
        user.as_str(),
    )
    .await
    .map_err(ApiError::internal)?;
    let strikes = standing.as_ref().map_or(0, |s| s.strike_expiries.len());
    Ok(Json(StandingBody { user_id: user.to_string(), strikes, standing }))
}
