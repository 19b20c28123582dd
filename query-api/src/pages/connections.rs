//! Connecting a channel to its platform from the dashboard (owner role):
//!
//! - `GET /app/api/connections`: the org's channels and their state.
//! - `POST /app/api/connections/twitch/start`: where to send the browser
//!   (Twitch's authorize page with a signed `state`), and a short-lived
//!   cookie binding that state to this browser.
//! - `GET /app/connections/twitch/callback`: Twitch sends the browser back
//!   here; the code becomes tokens, the token's owner the channel, and the
//!   connection an event with its actor (the member who started it).
//! - `POST /app/api/connections/{platform}/{channel}/disconnect`: revokes
//!   the token at the platform and records who disconnected.
//! - `POST /app/api/connections/{platform}/{channel}/test-message`: the bot
//!   says a line in the channel now (owner or moderator), to see the
//!   connection work end to end; one per channel every ten seconds.
//!
//! Tokens never reach a page, an event, a log or an error.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use wavestack_adapters::auth::member_subject;
use wavestack_adapters::http::ApiError;
use wavestack_adapters::platform_auth::state::{Purpose, Started, StateSigner, STATE_LIFETIME};
use wavestack_adapters::platform_auth::twitch::{OAuthError, TwitchOAuth, CHATBOT_SCOPES};
use wavestack_adapters::platform_connections::{Connection, PlatformConnections};
use wavestack_app::connections::{connect_twitch_with_code, disconnect, ConnectRefused};
use wavestack_app::App;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ChannelId, ChatPlatform, MemberRole, OrgId, Timestamp, Username};
use wavestack_gateways::twitch::{Twitch, TwitchChannel};
use wavestack_gateways::{FixedToken, Gateway, SayError, Secret};

use super::session::{cookie, member, over_tls, require, team_of, Member};
use super::sign_in;
use super::PagesState;

/// The cookie that binds a connect flow's state to the browser. `Lax`, so
/// it comes back on the platform's top-level redirect; only on that path.
const FLOW_COOKIE: &str = "wavestack_connect";
const CALLBACK_PATH: &str = "/app/connections";

/// What the pages need to connect channels.
#[derive(Debug, Clone)]
pub struct ConnectionsConfig {
    pub app: App,
    pub store: PlatformConnections,
    pub states: StateSigner,
    /// `None`: no Twitch application is configured; connecting is refused.
    pub twitch: Option<TwitchOAuth>,
    /// The gateway the test message is said through.
    pub twitch_gateway: Option<Twitch>,
    pub test_messages: Arc<TestMessageLimit>,
}

/// One test message per channel every ten seconds: the button speaks in
/// front of the channel's viewers.
#[derive(Debug)]
pub struct TestMessageLimit(DefaultKeyedRateLimiter<String>);

impl Default for TestMessageLimit {
    fn default() -> Self {
        let quota = Quota::with_period(std::time::Duration::from_secs(10)).expect("a non-zero period");
        Self(RateLimiter::keyed(quota))
    }
}

/// What the test message says.
pub const TEST_MESSAGE: &str = "WaveStack is connected to this channel. (A test message sent from the dashboard.)";

fn configured(state: &PagesState) -> Result<&ConnectionsConfig, ApiError> {
    state.config.connections.as_ref().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "connections_off", "this deployment connects no platforms")
    })
}

pub(crate) async fn list(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, false).await?;
    let config = configured(&state)?;
    let connections = config.store.of_org(member.org.as_str()).await.map_err(|e| ApiError::internal(e.into()))?;
    let channels: Vec<_> = connections
        .iter()
        .map(|c| {
            let missing: Vec<&str> =
                CHATBOT_SCOPES.iter().copied().filter(|s| !c.scopes.iter().any(|have| have == s)).collect();
            json!({
                "platform": c.platform,
                "channel": c.channel,
                "state": c.state,
                "bot_login": c.bot_login,
                "scopes": c.scopes,
                "missing_scopes": missing,
                "expires_at": c.expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Json(json!({ "connections": channels, "twitch": { "configured": config.twitch.is_some() } })).into_response())
}

pub(crate) async fn start_twitch(State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let member = member(&state, &headers, true).await?;
    require(&member, MemberRole::Owner)?;
    let started = Started {
        org: member.org.to_string(),
        username: member.username.to_string(),
        platform: "twitch".into(),
        purpose: Purpose::Connect,
    };
    start_flow(&state, &headers, started, TwitchOAuth::authorize_url)
}

#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Back from Twitch: always a redirect to the dashboard, saying how it went
/// (`#/connections?connected=…` or `#/connections?error=<code>`; a sign-in
/// or a linked sign-in account says so on its own page).
pub(crate) async fn twitch_callback(
    State(state): State<PagesState>,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Response {
    let (target, session) = match checked_flow(&state, &headers, callback) {
        Err(code) => (format!("/app#/connections?error={code}"), None),
        Ok((started, code)) => match started.purpose {
            Purpose::Connect => match finish_twitch(&state, started, code).await {
                Ok(channel) => (format!("/app#/connections?connected=twitch/{channel}"), None),
                Err(code) => (format!("/app#/connections?error={code}"), None),
            },
            Purpose::LinkSignIn => match sign_in::link(&state, started, code).await {
                Ok(()) => ("/app#/account?linked=twitch".to_owned(), None),
                Err(code) => (format!("/app#/account?error={code}"), None),
            },
            Purpose::SignIn => {
                let org = started.org.clone();
                match sign_in::sign_in(&state, &headers, started, code).await {
                    Ok(cookie) => (format!("/app?org={org}"), Some(cookie)),
                    Err(code) => (format!("/app?org={org}#/login?error={code}"), None),
                }
            }
        },
    };
    let mut response = Redirect::to(&target).into_response();
    let clear = format!("{FLOW_COOKIE}=; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=0");
    response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&clear).expect("ASCII"));
    if let Some(session) = session {
        response.headers_mut().append(header::SET_COOKIE, session);
    }
    response
}

/// The flow the state names, if it is ours, fresh and this browser's, and
/// the code Twitch gave for it.
fn checked_flow(
    state: &PagesState,
    headers: &HeaderMap,
    callback: Callback,
) -> Result<(Started, String), &'static str> {
    let config = state.config.connections.as_ref().ok_or("connections_off")?;
    let flow = callback.state.as_deref().ok_or("state_missing")?;
    let started = config
        .states
        .check(flow, cookie(headers, FLOW_COOKIE).as_deref(), OffsetDateTime::now_utc())
        .map_err(|refused| {
            tracing::warn!(refused = %refused, "a Twitch flow came back with a state that does not hold");
            "state_refused"
        })?;
    if let Some(error) = callback.error {
        tracing::info!(error, description = callback.error_description, "the member did not authorize on Twitch");
        return Err("denied");
    }
    Ok((started, callback.code.ok_or("code_missing")?))
}

/// Starts a flow through Twitch's authorize page: the page's address for
/// the browser, and the cookie binding the flow's state to this browser.
pub(super) fn start_flow(
    state: &PagesState,
    headers: &HeaderMap,
    started: Started,
    authorize: impl FnOnce(&TwitchOAuth, &str) -> url::Url,
) -> Result<Response, ApiError> {
    let config = configured(state)?;
    let twitch = config.twitch.as_ref().ok_or_else(twitch_off)?;
    let (flow, cookie) = config.states.issue(started, OffsetDateTime::now_utc());
    let secure = if over_tls(state, headers) { "; Secure" } else { "" };
    let set_cookie = format!(
        "{FLOW_COOKIE}={cookie}; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        STATE_LIFETIME.whole_seconds()
    );
    let mut response = Json(json!({ "authorize_url": authorize(twitch, &flow).to_string() })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&set_cookie).expect("URL-safe"));
    Ok(response)
}

async fn finish_twitch(state: &PagesState, started: Started, code: String) -> Result<String, &'static str> {
    let config = state.config.connections.as_ref().ok_or("connections_off")?;
    let twitch = config.twitch.as_ref().ok_or("twitch_off")?;
    // The member must still be an owner of the org now.
    let org = OrgId::parse(started.org).map_err(|_| "state_refused")?;
    let username = Username::parse(started.username).map_err(|_| "state_refused")?;
    let team = team_of(state, &org).await.map_err(|_| "unavailable")?;
    if !team.role_of(&username).is_some_and(|role| role.at_least(MemberRole::Owner)) {
        return Err("forbidden");
    }
    let metadata = metadata_of(&org, &username);
    let channel = connect_twitch_with_code(&config.app, &config.store, twitch, &metadata, &code)
        .await
        .map_err(ConnectRefused::code)?;
    Ok(channel.to_string())
}

/// The connected channel a write names, for a member of at least `least`
/// (with the session's CSRF token): 404 if the org has not connected it.
async fn connected_channel<'a>(
    state: &'a PagesState,
    headers: &HeaderMap,
    least: MemberRole,
    platform: &str,
    channel: String,
) -> Result<(Member, &'a ConnectionsConfig, ChatPlatform, ChannelId, Connection), ApiError> {
    let member = member(state, headers, true).await?;
    require(&member, least)?;
    let config = configured(state)?;
    let platform = ChatPlatform::parse(platform).map_err(|e| ApiError::invalid_value("platform", &e))?;
    let channel = ChannelId::parse(channel).map_err(|e| ApiError::invalid_value("channel", &e))?;
    let stored = config
        .store
        .one(member.org.as_str(), platform.as_str(), channel.as_str())
        .await
        .map_err(|e| ApiError::internal(e.into()))?
        .ok_or_else(|| ApiError::not_found("that channel is not connected"))?;
    Ok((member, config, platform, channel, stored))
}

pub(crate) async fn disconnect_channel(
    State(state): State<PagesState>,
    headers: HeaderMap,
    Path((platform, channel)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (member, config, platform, channel, stored) =
        connected_channel(&state, &headers, MemberRole::Owner, &platform, channel).await?;
    // Revoked at the platform first; if the platform cannot be reached the
    // token is forgotten anyway, and the page says so.
    let mut revoked = true;
    if platform == ChatPlatform::Twitch {
        if let Some(twitch) = &config.twitch {
            if let Err(error) = twitch.revoke(&stored.tokens.access).await {
                tracing::warn!(error = %error, "could not revoke a Twitch token; it is forgotten anyway");
                revoked = false;
            }
        }
    }
    let metadata = metadata_of(&member.org, &member.username);
    disconnect(&config.app, &config.store, &metadata, platform, &channel, "disconnected by an owner", None)
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("recording the disconnection: {e}")))?;
    Ok(Json(json!({ "disconnected": true, "revoked_at_platform": revoked })).into_response())
}

pub(crate) async fn send_test_message(
    State(state): State<PagesState>,
    headers: HeaderMap,
    Path((platform, channel)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (member, config, platform, channel, stored) =
        connected_channel(&state, &headers, MemberRole::Moderator, &platform, channel).await?;
    if stored.has_ended() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_running",
            format!("the channel's connection is {}; connect it again first", stored.state.replace('_', " ")),
        ));
    }
    let Some(twitch) = config.twitch_gateway.as_ref().filter(|_| platform == ChatPlatform::Twitch) else {
        return Err(twitch_off());
    };
    let key = format!("{}/{platform}/{channel}", member.org);
    if config.test_messages.0.check_key(&key).is_err() {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_test_messages",
            "one test message per channel every ten seconds",
        ));
    }
    let token = Arc::new(FixedToken(Secret::new(stored.tokens.access.clone())));
    let target = TwitchChannel::of(&stored, channel.clone(), token);
    let message_id = twitch.say(&target, TEST_MESSAGE).await.map_err(|error| {
        tracing::warn!(error = %error, org = %member.org, channel = %channel, "a test message was not said");
        match error {
            SayError::Unauthorized(_) => ApiError::new(
                StatusCode::CONFLICT,
                "token_not_accepted",
                "Twitch did not accept the channel's token; the gateway renews an expired one within a minute",
            ),
            SayError::Refused { status, message } => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "platform_refused",
                format!("Twitch refused the message ({status}): {message}"),
            ),
            SayError::NoAnswer(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "platform_unreachable", "Twitch did not answer; try again")
            }
        }
    })?;
    tracing::info!(org = %member.org, channel = %channel, by = %member.username, "a test message was said");
    Ok(Json(json!({ "sent": true, "message_id": message_id, "text": TEST_MESSAGE })).into_response())
}

pub(super) fn metadata_of(org: &OrgId, username: &Username) -> EventMetadata {
    EventMetadata::initiated(org.clone(), member_subject(username), Timestamp::from_datetime(OffsetDateTime::now_utc()))
}

/// The code a sign-in shows for a refusal of Twitch's id server: the same
/// as connecting's (logged there).
pub(super) fn oauth_code(error: OAuthError) -> &'static str {
    ConnectRefused::from(error).code()
}

fn twitch_off() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "twitch_off",
        "this deployment has no Twitch application (--twitch-client-id)",
    )
}
