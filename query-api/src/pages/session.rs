//! Who is behind a dashboard request: the session cookie, checked against
//! the live sessions and the org's team stream (a removed member or a
//! changed role counts at the next request), and for writes the CSRF
//! header.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use wavestack_adapters::auth::{csrf_matches, Sessions};
use wavestack_adapters::http::ApiError;
use wavestack_domain::team::TeamState;
use wavestack_domain::value::{MemberRole, OrgId, Username};

use super::PagesState;

pub(crate) const COOKIE: &str = "wavestack_session";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// A member with a live session.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub token: String,
    pub org: OrgId,
    pub username: Username,
    pub role: MemberRole,
}

/// The session cookie's value, if the request carries one.
pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

/// The value of the cookie `wanted` (at most 128 characters), if the
/// request carries one.
pub(crate) fn cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Whether the page was reached over TLS (here, or at a proxy in front).
pub(crate) fn over_tls(state: &PagesState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a new session, or (`token: None`) one that ends it.
pub(crate) fn set_cookie(token: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = match token {
        Some(token) => format!(
            "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            wavestack_adapters::auth::LIFETIME.as_secs()
        ),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).expect("a cookie of URL-safe characters is a header value")
}

fn no_session() -> ApiError {
    ApiError::unauthorized("no_session", "log in first: no live session")
}

/// The org's team as its stream holds it: access decisions read the
/// truth, not a read model, so a removal or a revoked key holds at once;
/// read whole again only when the stream moved on.
pub(crate) async fn team_of(state: &PagesState, org: &OrgId) -> Result<Arc<TeamState>, ApiError> {
    state.teams.get(&state.pool, org.as_str()).await.map_err(|e| ApiError::internal(anyhow::Error::new(e)))
}

/// The member of a request. `write`: the CSRF header must match too.
pub(crate) async fn member(state: &PagesState, headers: &HeaderMap, write: bool) -> Result<Member, ApiError> {
    let token = cookie_token(headers).ok_or_else(no_session)?;
    let sessions = Sessions::new(state.pool.clone());
    let session = sessions.find(&token).await.map_err(ApiError::internal)?.ok_or_else(no_session)?;
    if write {
        let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !csrf_matches(&token, presented) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_refused",
                "send this session's CSRF token in the X-CSRF-Token header",
            ));
        }
    }
    let org = OrgId::parse(session.org.clone()).map_err(|_| no_session())?;
    let username = Username::parse(session.username.clone()).map_err(|_| no_session())?;
    let team = team_of(state, &org).await?;
    // Removed since login: the session ends with the membership. Removed
    // and added again, or a new password since: it ended then.
    let role = team.role_of(&username).ok_or_else(no_session)?;
    if team.sessions_valid_since(&username).is_some_and(|since| session.created_at < since.as_datetime()) {
        return Err(no_session());
    }
    sessions.touch(&token).await.map_err(ApiError::internal)?;
    Ok(Member { token, org, username, role })
}

/// 403 unless the member's role is at least `least`.
pub(crate) fn require(member: &Member, least: MemberRole) -> Result<(), ApiError> {
    if member.role.at_least(least) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("a {}'s session may not do that (it needs {})", member.role.as_str(), least.as_str()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; wavestack_session=abc; b=2"));
        assert_eq!(cookie_token(&headers).as_deref(), Some("abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("wavestack_session="));
        assert_eq!(cookie_token(&headers), None);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_over_tls() {
        let plain = set_cookie(Some("t"), false);
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict") && !plain.contains("Secure"));
        assert!(set_cookie(Some("t"), true).to_str().unwrap().ends_with("; Secure"));
        assert!(set_cookie(None, false).to_str().unwrap().contains("Max-Age=0"));
    }
}
