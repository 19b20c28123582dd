//! `/app/api/command/{path}`: the dashboard's writes. The page stays on
//! one origin (its cookie is SameSite=Strict, its CSP allows only 'self'),
//! so its writes come here: the session, its CSRF token and its role are
//! checked, and the request goes on to the command API with a token of a
//! minute in the member's name. Whatever the command API answers (a 202,
//! a refusal naming the field) comes back unchanged.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use wavestack_adapters::auth::{member_subject, role_scopes};
use wavestack_adapters::http::ApiError;
use wavestack_domain::value::MemberRole;

use super::session::{member, require};
use super::PagesState;

/// The largest write a page sends.
const MAX_BODY: usize = 256 * 1024;
const FORWARD_TOKEN_TTL: Duration = Duration::from_secs(60);
/// Headers a write carries on to the command API.
const FORWARDED: [HeaderName; 2] = [header::CONTENT_TYPE, HeaderName::from_static("idempotency-key")];
/// The writes any member may send, whatever their role: their own password.
const ANY_MEMBER: [&str; 1] = ["v1/team/password"];
/// Headers of its answer that come back.
const RETURNED: [HeaderName; 2] = [header::CONTENT_TYPE, header::RETRY_AFTER];

pub(crate) async fn forward(
    State(state): State<PagesState>,
    Path(path): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let method = request.method().clone();
    if !matches!(method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "only writes go through here"));
    }
    let member = member(&state, request.headers(), true).await?;
    // A viewer reads; the command API would refuse the token's scopes
    // too, but the page deserves the plain answer.
    if !ANY_MEMBER.contains(&path.as_str()) {
        require(&member, MemberRole::Moderator)?;
    }
    let Some(base) = &state.config.command_api else {
        return Err(ApiError::unavailable("this query API has no command API to send writes to"));
    };
    if !path.starts_with("v1/") || path.split('/').any(|s| s == ".." || s == ".") {
        return Err(ApiError::not_found("no such command route"));
    }
    let mut url = base.join(&path).map_err(|_| ApiError::not_found("no such command route"))?;
    url.set_query(request.uri().query());
    let issued = state
        .tokens
        .issue_with_ttl(&member_subject(&member.username), &member.org, &role_scopes(member.role), FORWARD_TOKEN_TTL)
        .map_err(ApiError::internal)?;
    let headers = request.headers().clone();
    let body = to_bytes(request.into_body(), MAX_BODY)
        .await
        .map_err(|_| ApiError::payload_too_large(format!("a write is at most {MAX_BODY} bytes")))?;
    let mut outgoing = state.http.request(method, url).bearer_auth(issued.access_token).body(body);
    for name in FORWARDED {
        if let Some(value) = headers.get(&name) {
            outgoing = outgoing.header(name, value);
        }
    }
    if let Some(request_id) = headers.get("x-request-id") {
        outgoing = outgoing.header("x-correlation-id", request_id);
    }
    let answer = outgoing.send().await.map_err(|error| {
        tracing::warn!(error = %error, "the command API did not answer a dashboard write");
        ApiError::unavailable("the command API did not answer; retry")
    })?;
    let status = answer.status();
    let mut response = Response::builder().status(status.as_u16());
    for name in RETURNED {
        if let Some(value) = answer.headers().get(&name) {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await.map_err(|_| ApiError::unavailable("the command API's answer broke off; retry"))?;
    response.body(Body::from(bytes)).map_err(|e| ApiError::internal(e.into())).map(IntoResponse::into_response)
}
