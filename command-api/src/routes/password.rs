//! A dashboard member's password: changed by the member (who gives the
//! current one) or reset by an owner. Either ends every session the member
//! had: the `PasswordSet` event is the line (`TeamState::sessions_valid_since`),
//! and the session rows are revoked too, so no list shows them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wavestack_adapters::auth::{check_password, member_of, set_password, MemberPasswords, Sessions};
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::team::{PasswordChangeBody, PasswordResetBody};
use wavestack_domain::value::{OrgId, Username};

use crate::command_error::member_error;
use crate::edge::Caller;
use crate::state::AppState;

/// The caller's own new password.
#[utoipa::path(
    post,
    path = "/v1/team/password",
    tag = "team",
    request_body = PasswordChangeBody,
    responses((status = 204, description = "Changed; every session of the member has ended"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn change_own(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<PasswordChangeBody>,
) -> Result<Response, ApiError> {
    let Some(username) = member_of(&caller.principal.subject) else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only a dashboard member has a password"));
    };
    check_password(&body.new_password).map_err(|e| ApiError::invalid_field("new_password", e.to_string()))?;
    let org = &caller.principal.org;
    let matches = {
        let _turn = state.token_gate.verification().await?;
        MemberPasswords::new(state.pool.clone())
            .verify(org, &username, &body.current_password)
            .await
            .map_err(ApiError::internal)?
    };
    if !matches {
        return Err(ApiError::invalid_field("current_password", "is not the member's password").with_reason("wrong"));
    }
    store(&state, &caller, org, &username, &body.new_password, Some(username.clone())).await
}

/// An owner sets a member's password (the member forgot it, or it leaked).
#[utoipa::path(
    put,
    path = "/v1/team/members/{username}/password",
    tag = "team",
    params(("username" = String, Path, description = "The member")),
    request_body = PasswordResetBody,
    responses((status = 204, description = "Reset; every session of the member has ended"), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ValidJson(body): ValidJson<PasswordResetBody>,
) -> Result<Response, ApiError> {
    let username = Username::parse(name).map_err(|e| ApiError::invalid_value("username", &e))?;
    check_password(&body.password).map_err(|e| ApiError::invalid_field("password", e.to_string()))?;
    let by = member_of(&caller.principal.subject);
    store(&state, &caller, &caller.principal.org, &username, &body.password, by).await
}

async fn store(
    state: &AppState,
    caller: &Caller,
    org: &OrgId,
    username: &Username,
    password: &str,
    by: Option<Username>,
) -> Result<Response, ApiError> {
    set_password(&state.bus, &state.pool, org, username, password, by, &caller.metadata).await.map_err(member_error)?;
    let ended = Sessions::new(state.pool.clone()).revoke_person(org, username).await.map_err(ApiError::internal)?;
    tracing::info!(org = %org, member = %username, sessions_ended = ended, "a member's password was set");
    Ok(StatusCode::NO_CONTENT.into_response())
}
