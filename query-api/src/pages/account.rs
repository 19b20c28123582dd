//! `/app/api/…`: logging in and out, the session, the short-lived token
//! the pages read with, and what owners manage (sessions) or everyone sees
//! (the team, the overlay keys).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use wavestack_adapters::auth::{csrf_of, member_subject, role_scopes, MemberPasswords, Sessions};
use wavestack_adapters::http::{ApiError, ValidJson};
use wavestack_domain::value::{MemberRole, OrgId, Username};

use super::session::{member, over_tls, require, set_cookie, team_of, Member};
use super::PagesState;

/// How long a page's read token lives; the page renews it before then.
pub(crate) const PAGE_TOKEN_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    org: String,
    username: String,
    password: String,
}

#[derive(Debug, Serialize)]
struct SessionBody {
    org: String,
    username: String,
    role: &'static str,
    /// Send it back in `X-CSRF-Token` on every write.
    csrf: String,
    scopes: String,
}

fn session_body(member_org: &OrgId, username: &Username, role: MemberRole, token: &str) -> SessionBody {
    SessionBody {
        org: member_org.to_string(),
        username: username.to_string(),
        role: role.as_str(),
        csrf: csrf_of(token),
        scopes: role_scopes(role).to_string(),
    }
}

fn invalid_login() -> ApiError {
    ApiError::unauthorized("invalid_login", "wrong org, username or password")
}

pub(crate) async fn login(
    State(state): State<PagesState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ValidJson(body): ValidJson<LoginBody>,
) -> Result<Response, ApiError> {
    // Cheap, before anything else: a flood from one address costs little.
    state.login_gate.admit(Some(remote.ip()))?;
    let org = OrgId::parse(body.org).map_err(|e| ApiError::invalid_value("org", &e))?;
    let username = Username::parse(body.username).map_err(|e| ApiError::invalid_value("username", &e))?;
    if body.password.is_empty() || body.password.chars().count() > wavestack_adapters::auth::MAX_PASSWORD_CHARS {
        return Err(invalid_login());
    }
    let attempt = state.login_limit.begin(&org, &username, remote.ip(), Instant::now()).map_err(|wait| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many failed logins; wait before trying again",
        )
        .with_retry_after(wait)
    })?;
    // The same argon2 work whether or not the person exists, a few at once.
    let matches = {
        let _turn = state.login_gate.verification().await?;
        MemberPasswords::new(state.pool.clone())
            .verify(&org, &username, &body.password)
            .await
            .map_err(ApiError::internal)?
    };
    let team = team_of(&state, &org).await?;
    let role = match (matches, team.role_of(&username)) {
        (true, Some(role)) => role,
        _ => {
            attempt.failed();
            tracing::info!(org = %org, username = %username, "a dashboard login was refused");
            return Err(invalid_login());
        }
    };
    attempt.succeeded();
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let opened =
        Sessions::new(state.pool.clone()).open(&org, &username, user_agent).await.map_err(ApiError::internal)?;
    let body = session_body(&org, &username, role, &opened.token);
    let cookie = set_cookie(Some(&opened.token), over_tls(&state, &headers));
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

pub(crate) async fn logout(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, true).await?;
    Sessions::new(state.pool.clone()).close(&member.token).await.map_err(ApiError::internal)?;
    let cookie = set_cookie(None, over_tls(&state, &headers));
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

pub(crate) async fn session(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let Member { org, username, role, token, .. } = member(&state, &headers, false).await?;
    Ok(Json(session_body(&org, &username, role, &token)).into_response())
}

/// A short-lived bearer token for the query API's reads and live feed,
/// with the scopes of the member's role, in the member's name.
pub(crate) async fn token(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, true).await?;
    let issued = state
        .tokens
        .issue_with_ttl(&member_subject(&member.username), &member.org, &role_scopes(member.role), PAGE_TOKEN_TTL)
        .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scopes.to_string(),
    }))
    .into_response())
}

/// The org's live sessions (owners).
pub(crate) async fn sessions(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, false).await?;
    require(&member, MemberRole::Owner)?;
    let sessions = Sessions::new(state.pool.clone()).list(&member.org).await.map_err(ApiError::internal)?;
    Ok(Json(json!({ "sessions": sessions })).into_response())
}

/// Ends one of the org's sessions (owners).
pub(crate) async fn revoke_session(
    State(state): State<PagesState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let member = member(&state, &headers, true).await?;
    require(&member, MemberRole::Owner)?;
    if Sessions::new(state.pool.clone()).revoke(&member.org, &id).await.map_err(ApiError::internal)? {
        tracing::info!(org = %member.org, by = %member.username, session = %id, "a dashboard session was revoked");
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("the org has no such live session"))
    }
}

/// The org's members and their roles.
pub(crate) async fn team(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, false).await?;
    let team = team_of(&state, &member.org).await?;
    let members: Vec<_> =
        team.members().map(|(username, role)| json!({ "username": username, "role": role.as_str() })).collect();
    Ok(Json(json!({ "members": members })).into_response())
}

/// The org's live overlay keys (never the keys: their names and channels).
pub(crate) async fn overlay_keys(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, false).await?;
    let team = team_of(&state, &member.org).await?;
    let keys: Vec<_> = team
        .overlay_keys()
        .filter(|(_, key)| key.revoked_at.is_none())
        .map(|(id, key)| {
            json!({
                "id": id,
                "platform": key.channel.platform.as_str(),
                "channel": key.channel.channel.as_str(),
                "label": key.label.as_str(),
                "created_at": key.issued_at.to_rfc3339(),
            })
        })
        .collect();
    Ok(Json(json!({ "keys": keys })).into_response())
}
