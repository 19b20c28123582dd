//! `/v1/team/…` (`team:write`) and `/v1/overlay-keys…` (`channels:write`): the dashboard's
//! people and the overlays' read-only keys. Every change is an event on
//! the org's `team` stream whose actor is the token's subject; the rules
//! (owners invite and change roles, owners and moderators manage overlay
//! keys) are the aggregate's, checked against the member the token names.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use wavestack_adapters::auth::{add_member, check_password, member_of, new_overlay_key, Sessions};
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::team::{IssuedKeyBody, MemberAddedBody, MemberBody, OverlayKeyBody, RoleBody};
use wavestack_domain::team::{TeamCommand, TeamError};
use wavestack_domain::value::{ChannelId, ChannelRef, ChatPlatform, MemberRole, OverlayKeyId, OverlayLabel, Username};

use crate::command_error::{command_error, member_error, Refusal};
use crate::edge::{accepted_response, field, AcceptedResponse, Caller};
use crate::state::AppState;

impl Refusal for TeamError {
    fn to_api_error(&self) -> ApiError {
        let status = match self {
            TeamError::NotOwner | TeamError::NotModerator => StatusCode::FORBIDDEN,
            TeamError::Unknown(_) | TeamError::UnknownOverlayKey(_) => StatusCode::NOT_FOUND,
            TeamError::Exists(_) | TeamError::LastOwner | TeamError::AccountTaken => StatusCode::CONFLICT,
            TeamError::NotSelf => StatusCode::FORBIDDEN,
            TeamError::InvalidLogin => StatusCode::UNPROCESSABLE_ENTITY,
            TeamError::Full { .. } | TeamError::TooManyOverlayKeys { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            // The edge makes the digest; a bad one is this API's bug.
            TeamError::InvalidDigest => return ApiError::internal(anyhow::anyhow!("team refused: {self}")),
        };
        let error = ApiError::new(status, self.code(), self.to_string());
        match self {
            TeamError::Exists(_) | TeamError::Unknown(_) => error.with_field("username"),
            TeamError::LastOwner => error.with_field("role"),
            _ => error,
        }
    }
}

fn role(raw: &str) -> Result<MemberRole, ApiError> {
    MemberRole::parse(raw).map_err(|_| ApiError::invalid_field("role", "must be owner, moderator or viewer"))
}

fn username(raw: String) -> Result<Username, ApiError> {
    field("username", Username::parse(raw))
}

async fn run(state: &AppState, caller: &Caller, command: TeamCommand) -> Result<Response, ApiError> {
    let org = caller.principal.org.as_str();
    let accepted = state.bus.team.execute(org, command, &caller.metadata).await.map_err(command_error)?;
    Ok(accepted_response(accepted))
}

/// An owner invites a person with a role and a first password.
#[utoipa::path(
    post,
    path = "/v1/team/members",
    tag = "team",
    request_body = MemberBody,
    responses((status = 201, description = "The member joined", body = MemberAddedBody), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn add(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<MemberBody>,
) -> Result<Response, ApiError> {
    let name = username(body.username)?;
    let role = role(&body.role)?;
    check_password(&body.password).map_err(|e| ApiError::invalid_field("password", e.to_string()))?;
    let by = member_of(&caller.principal.subject);
    let org = &caller.principal.org;
    add_member(&state.bus, &state.pool, org, &name, role, &body.password, by, &caller.metadata)
        .await
        .map_err(member_error)?;
    let body = MemberAddedBody { username: name.to_string(), role: role.as_str().into() };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// An owner changes a member's role (an org always keeps one owner).
#[utoipa::path(
    patch,
    path = "/v1/team/members/{username}",
    tag = "team",
    params(("username" = String, Path, description = "The member")),
    request_body = RoleBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn change_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<RoleBody>,
) -> Result<Response, ApiError> {
    let name = username(name)?;
    let role = role(&body.role)?;
    let by = member_of(&caller.principal.subject);
    run(&state, &caller, TeamCommand::ChangeRole { username: name, role, by, at: caller.metadata.occurred_at }).await
}

/// An owner removes a member; their dashboard sessions end with it.
#[utoipa::path(
    delete,
    path = "/v1/team/members/{username}",
    tag = "team",
    params(("username" = String, Path, description = "The member")),
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let name = username(name)?;
    let by = member_of(&caller.principal.subject);
    let removed =
        run(&state, &caller, TeamCommand::Remove { username: name.clone(), by, at: caller.metadata.occurred_at })
            .await?;
    // The pages already refuse a session whose member is gone (or came
    // back later); this ends the rows too, so no list shows them.
    Sessions::new(state.pool.clone()).revoke_person(&caller.principal.org, &name).await.map_err(ApiError::internal)?;
    Ok(removed)
}

/// Issues a read-only key for one channel's overlays.
#[utoipa::path(
    post,
    path = "/v1/overlay-keys",
    tag = "team",
    request_body = OverlayKeyBody,
    responses((status = 201, description = "The key, shown only now", body = IssuedKeyBody), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn issue_overlay_key(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<OverlayKeyBody>,
) -> Result<Response, ApiError> {
    let platform = field("platform", ChatPlatform::parse(&body.platform))?;
    let channel = field("channel", ChannelId::parse(body.channel))?;
    let label = field("label", OverlayLabel::parse(body.label))?;
    let (key, digest) = new_overlay_key();
    let key_id = OverlayKeyId::new_random();
    let command = TeamCommand::IssueOverlayKey {
        key_id,
        channel: ChannelRef::new(platform, channel.clone()),
        label: label.clone(),
        digest,
        by: member_of(&caller.principal.subject),
        at: caller.metadata.occurred_at,
    };
    let org = caller.principal.org.as_str();
    state.bus.team.execute(org, command, &caller.metadata).await.map_err(command_error)?;
    let body = IssuedKeyBody {
        id: key_id.as_uuid(),
        key,
        platform: platform.as_str().to_owned(),
        channel: channel.as_str().to_owned(),
        label: label.as_str().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Revokes an overlay key: overlays using it stop within seconds.
#[utoipa::path(
    delete,
    path = "/v1/overlay-keys/{id}",
    tag = "team",
    params(("id" = String, Path, description = "The key's id")),
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn revoke_overlay_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let key_id = OverlayKeyId::parse(&id).map_err(|_| ApiError::not_found("there is no such overlay key"))?;
    let by = member_of(&caller.principal.subject);
    run(&state, &caller, TeamCommand::RevokeOverlayKey { key_id, by, at: caller.metadata.occurred_at }).await
}
