//! The community read models: `GET /v1/leaderboard?window=all|7d` (the
//! org's people across platforms, linked accounts as one),
//! `GET /v1/people/{account}`, `GET /v1/giveaways[/{id}]` and
//! `GET /v1/polls[/{id}]`.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused};
use wavestack_domain::value::{Account, GiveawayId, GiveawayStreamId, PollId, PollStreamId};
use wavestack_projections::community::{self, Giveaway, Poll};
use wavestack_projections::leaderboard::{self, PersonEntry, Window};
use wavestack_projections::ProjectionKind;

use super::params::{after_position, limit};
use super::read_your_writes::{wait_for, Consistency, NoParams, ReadQuery};
use super::waiters::Waiters;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeaderboardParams {
    /// `all` (default) or `7d`.
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PeopleLeaderboardPage)]
pub(crate) struct PeoplePage {
    window: &'static str,
    #[schema(value_type = Vec<Object>)]
    entries: Vec<PersonEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn window(raw: Option<&str>) -> Result<(Window, &'static str), ApiError> {
    match raw {
        None | Some("all") => Ok((Window::AllTime, "all")),
        Some("7d") => Ok((Window::LastSevenDays, "7d")),
        Some(_) => Err(ApiError::invalid_field("window", "must be `all` or `7d`").with_reason("unknown_variant")),
    }
}

/// Linked accounts count as one person with the points and messages of
/// all of them, in every channel of the org.
#[utoipa::path(
    get,
    path = "/v1/leaderboard",
    tag = "read models",
    params(LeaderboardParams, Consistency),
    responses((status = 200, description = "The org's people ranked across platforms", body = PeoplePage), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn people_leaderboard(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    ReadQuery(params, consistency): ReadQuery<LeaderboardParams>,
) -> Result<Json<PeoplePage>, ApiError> {
    let (window, window_name) = window(params.window.as_deref())?;
    let limit = limit(params.limit, 50, 500)?;
    let after = after_position(params.cursor.as_deref())?;
    let schema = ProjectionKind::Leaderboard.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let mut entries = leaderboard::read_org(&pool, &schema, principal.org.as_str(), window, after, limit + 1)
        .await
        .map_err(ApiError::internal)?;
    let next_cursor = if entries.len() as i64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.rank.to_string())
    } else {
        None
    };
    Ok(Json(PeoplePage { window: window_name, entries, next_cursor }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct PersonBody {
    /// The account the person is rooted at.
    person: String,
    accounts: Vec<String>,
}

/// Which person an account belongs to, and its linked accounts.
#[utoipa::path(
    get,
    path = "/v1/people/{account}",
    tag = "read models",
    params(("account" = String, Path, description = "platform:user"), Consistency),
    responses((status = 200, description = "The person", body = PersonBody), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn person(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    Path(raw): Path<String>,
    ReadQuery(NoParams {}, consistency): ReadQuery<NoParams>,
) -> Result<Json<PersonBody>, ApiError> {
    let account = Account::parse(&raw).map_err(|e| ApiError::invalid_value("account", &e))?;
    let schema = ProjectionKind::Leaderboard.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let (person, accounts) = leaderboard::person_of(&pool, &schema, principal.org.as_str(), &account.to_string())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(PersonBody { person, accounts }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct GiveawayList {
    #[schema(value_type = Vec<Object>)]
    giveaways: Vec<Giveaway>,
}

#[utoipa::path(get, path = "/v1/giveaways", tag = "read models", params(ListParams, Consistency),
    responses((status = 200, description = "The org's giveaways, newest first", body = GiveawayList), Refused),
    security(("bearer" = [])))]
pub(crate) async fn giveaways(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    ReadQuery(params, consistency): ReadQuery<ListParams>,
) -> Result<Json<GiveawayList>, ApiError> {
    let limit = limit(params.limit, 50, 500)?;
    let schema = ProjectionKind::Community.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let giveaways =
        community::giveaways(&pool, &schema, principal.org.as_str(), limit).await.map_err(ApiError::internal)?;
    Ok(Json(GiveawayList { giveaways }))
}

/// With `min_sequence`, waits for the read model to reach that sequence
/// of this giveaway.
#[utoipa::path(get, path = "/v1/giveaways/{id}", tag = "read models",
    params(("id" = uuid::Uuid, Path, description = "The giveaway's UUID"), Consistency),
    responses((status = 200, description = "One giveaway: commitment, entries, seed and winners once drawn", body = Object), Refused),
    security(("bearer" = [])))]
pub(crate) async fn giveaway(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    Path(raw): Path<String>,
    ReadQuery(NoParams {}, consistency): ReadQuery<NoParams>,
) -> Result<Json<Giveaway>, ApiError> {
    let id = GiveawayId::parse(&raw).map_err(|_| ApiError::not_found("no such giveaway"))?;
    let schema = ProjectionKind::Community.live_schema();
    let consistency = consistency.or_stream(|| GiveawayStreamId::new(&principal.org, id).into());
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    community::giveaway(&pool, &schema, principal.org.as_str(), id.as_uuid())
        .await
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no such giveaway"))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct PollList {
    #[schema(value_type = Vec<Object>)]
    polls: Vec<Poll>,
}

#[utoipa::path(get, path = "/v1/polls", tag = "read models", params(ListParams, Consistency),
    responses((status = 200, description = "The org's polls, newest first", body = PollList), Refused),
    security(("bearer" = [])))]
pub(crate) async fn polls(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    ReadQuery(params, consistency): ReadQuery<ListParams>,
) -> Result<Json<PollList>, ApiError> {
    let limit = limit(params.limit, 50, 500)?;
    let schema = ProjectionKind::Community.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let polls = community::polls(&pool, &schema, principal.org.as_str(), limit).await.map_err(ApiError::internal)?;
    Ok(Json(PollList { polls }))
}

#[utoipa::path(get, path = "/v1/polls/{id}", tag = "read models",
    params(("id" = uuid::Uuid, Path, description = "The poll's UUID"), Consistency),
    responses((status = 200, description = "One poll with its counts", body = Object), Refused),
    security(("bearer" = [])))]
pub(crate) async fn poll(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    Path(raw): Path<String>,
    ReadQuery(NoParams {}, consistency): ReadQuery<NoParams>,
) -> Result<Json<Poll>, ApiError> {
    let id = PollId::parse(&raw).map_err(|_| ApiError::not_found("no such poll"))?;
    let schema = ProjectionKind::Community.live_schema();
    let consistency = consistency.or_stream(|| PollStreamId::new(&principal.org, id).into());
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    community::poll(&pool, &schema, principal.org.as_str(), id.as_uuid())
        .await
        .map_err(ApiError::internal)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no such poll"))
}
