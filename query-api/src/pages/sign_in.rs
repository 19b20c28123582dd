//! Sign in to the dashboard with Twitch, beside the password login:
//!
//! - `POST /app/api/account/twitch/link`: a signed-in member proves which
//!   Twitch account is theirs (Twitch's authorize page, `openid` only);
//!   back at the callback, the account is linked to them (`SignInLinked`,
//!   actor: the member). One member per account and org.
//! - `DELETE /app/api/account/twitch`: the member ends it (an owner may
//!   end anyone's through the command API's team routes in time; here,
//!   one's own).
//! - `POST /app/api/login/twitch` (`{"org"}`): where to send the browser to
//!   sign in; back at the callback, the linked member gets a session, as
//!   with a password. An account no member linked gets none.
//!
//! Twitch's token proves who the account is, and is revoked at once: it is
//! never stored, logged or shown.

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use wavestack_adapters::auth::Sessions;
use wavestack_adapters::http::{ApiError, ValidJson};
use wavestack_adapters::platform_auth::state::{Purpose, Started};
use wavestack_adapters::platform_auth::twitch::{TwitchOAuth, Validated};
use wavestack_domain::team::TeamError;
use wavestack_domain::value::{ChatPlatform, OrgId, PlatformUserId, Username};

use super::connections::{metadata_of, oauth_code, start_flow};
use super::session::{member, over_tls, set_cookie, team_of};
use super::PagesState;

pub(crate) async fn start_link(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, true).await?;
    let started = Started {
        org: member.org.to_string(),
        username: member.username.to_string(),
        platform: "twitch".into(),
        purpose: Purpose::LinkSignIn,
    };
    start_flow(&state, &headers, started, TwitchOAuth::sign_in_url)
}

pub(crate) async fn unlink(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, true).await?;
    let config = state.config.connections.as_ref().ok_or_else(|| ApiError::not_found("no sign-in accounts here"))?;
    let metadata = metadata_of(&member.org, &member.username);
    let unlinked = wavestack_app::sign_in::unlink(
        &config.app,
        &metadata,
        &member.username,
        ChatPlatform::Twitch,
        &member.username,
    )
    .await
    .map_err(|e| ApiError::internal(anyhow::anyhow!("unlinking a sign-in: {e}")))?;
    Ok(Json(json!({ "unlinked": !unlinked.events.is_empty() })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInBody {
    org: String,
}

pub(crate) async fn start_sign_in(
    State(state): State<PagesState>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ValidJson(body): ValidJson<SignInBody>,
) -> Result<Response, ApiError> {
    state.login_gate.admit(Some(remote.ip()))?;
    let org = OrgId::parse(body.org).map_err(|e| ApiError::invalid_value("org", &e))?;
    let started =
        Started { org: org.to_string(), username: String::new(), platform: "twitch".into(), purpose: Purpose::SignIn };
    start_flow(&state, &headers, started, TwitchOAuth::sign_in_url)
}

/// Who the code's Twitch account is; the token is revoked once read.
async fn whose(state: &PagesState, code: &str) -> Result<Validated, &'static str> {
    let config = state.config.connections.as_ref().ok_or("connections_off")?;
    let twitch = config.twitch.as_ref().ok_or("twitch_off")?;
    let granted = twitch.exchange(code).await.map_err(oauth_code)?;
    let whose = twitch.validate(&granted.tokens.access).await.map_err(oauth_code);
    if let Err(error) = twitch.revoke(&granted.tokens.access).await {
        tracing::info!(error = %error, "a sign-in's Twitch token could not be revoked; it expires by itself");
    }
    let whose = whose?;
    if whose.client_id != twitch.client_id() {
        return Err("token_refused");
    }
    Ok(whose)
}

/// Back from Twitch with a member's proof: their account is linked to them.
pub(super) async fn link(state: &PagesState, started: Started, code: String) -> Result<(), &'static str> {
    let config = state.config.connections.as_ref().ok_or("connections_off")?;
    let org = OrgId::parse(started.org).map_err(|_| "state_refused")?;
    let username = Username::parse(started.username).map_err(|_| "state_refused")?;
    let whose = whose(state, &code).await?;
    let user_id = PlatformUserId::parse(whose.user_id).map_err(|_| "account_refused")?;
    let metadata = metadata_of(&org, &username);
    wavestack_app::sign_in::link(&config.app, &metadata, &username, ChatPlatform::Twitch, user_id, whose.login)
        .await
        .map_err(|e| match e {
        wavestack_adapters::command_bus::CommandError::Rejected(TeamError::AccountTaken) => "account_taken",
        wavestack_adapters::command_bus::CommandError::Rejected(TeamError::Unknown(_)) => "forbidden",
        other => {
            tracing::warn!(error = %other, "a sign-in account could not be linked");
            "not_recorded"
        }
    })?;
    tracing::info!(org = %org, member = %username, "a member linked a Twitch sign-in");
    Ok(())
}

/// Back from Twitch to sign in: a session for the member the account is
/// linked to, as the password login opens one.
pub(super) async fn sign_in(
    state: &PagesState,
    headers: &HeaderMap,
    started: Started,
    code: String,
) -> Result<HeaderValue, &'static str> {
    let org = OrgId::parse(started.org).map_err(|_| "state_refused")?;
    let whose = whose(state, &code).await?;
    let user_id = PlatformUserId::parse(whose.user_id).map_err(|_| "account_refused")?;
    let team = team_of(state, &org).await.map_err(|_| "unavailable")?;
    let Some(username) = team.signs_in_as(ChatPlatform::Twitch, &user_id).cloned() else {
        tracing::info!(org = %org, "a Twitch sign-in of an account no member linked was refused");
        return Err("not_linked");
    };
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let opened = Sessions::new(state.pool.clone()).open(&org, &username, user_agent).await.map_err(|e| {
        tracing::warn!(error = %e, "a session could not be opened");
        "unavailable"
    })?;
    tracing::info!(org = %org, member = %username, "a member signed in with Twitch");
    Ok(set_cookie(Some(&opened.token), over_tls(state, headers)))
}

/// The member's own sign-in accounts, for their account page.
pub(crate) async fn linked(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, false).await?;
    let team = team_of(&state, &member.org).await?;
    let twitch = team.sign_in_of(&member.username, ChatPlatform::Twitch).map(|s| json!({ "login": s.login }));
    let configured = state.config.connections.as_ref().is_some_and(|c| c.twitch.is_some());
    let body = json!({ "twitch": twitch, "twitch_configured": configured });
    Ok((StatusCode::OK, Json(body)).into_response())
}
