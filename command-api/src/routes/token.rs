//! `POST /v1/auth/token`: the OAuth 2.0 client-credentials grant (RFC 6749
//! §4.4). Credentials in HTTP Basic or in the body; the body as a form (the
//! standard) or JSON. Grants the requested scopes that the client is
//! allowed, or all it is allowed when none are requested.

use axum::body::Bytes;
use std::net::SocketAddr;
use wavestack_api_types::token::{TokenRequest, TokenResponse};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;
use wavestack_adapters::auth::ScopeSet;
use wavestack_adapters::http::{parse_json, ApiError, Refused};

use crate::state::AppState;

/// In front of `issue`: the cheap limits before anything of the request
/// is read, its body (up to the body limit) included.
pub(crate) async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
    match state.token_gate.admit(address) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

#[utoipa::path(
    post,
    path = "/v1/auth/token",
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "A bearer token", body = TokenResponse), Refused),
)]
pub(crate) async fn issue(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = parse_request(&headers, &body)?;
    match request.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_grant_type",
                "only the `client_credentials` grant is supported",
            )
            .with_field("grant_type"))
        }
        None => return Err(ApiError::invalid_field("grant_type", "missing; use `client_credentials`")),
    }
    let requested = request
        .scope
        .as_deref()
        .map(ScopeSet::parse)
        .transpose()
        .map_err(|e| ApiError::invalid_field("scope", e.to_string()).with_reason("unknown_scope"))?;
    let (id, secret) = credentials(&headers, &request)?;

    let _turn = state.token_gate.verification().await?;
    let clients = state.clients.clone();
    let client = tokio::task::spawn_blocking(move || clients.authenticate(&id, &secret).cloned())
        .await
        .map_err(|e| ApiError::internal(e.into()))?
        .ok_or_else(|| ApiError::unauthorized("invalid_client", "unknown client or wrong secret"))?;
    let granted = match requested {
        Some(requested) => client.allowed.intersection(&requested),
        None => client.allowed.clone(),
    };
    if granted.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the client is allowed none of the requested scopes",
        )
        .with_field("scope"));
    }
    let issued = state.tokens.issue(&client.id, &client.org, &granted)?;
    tracing::info!(client = %client.id, org = %client.org, scope = %granted, "token issued");
    let body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scopes.to_string(),
    });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

fn parse_request(headers: &HeaderMap, body: &[u8]) -> Result<TokenRequest, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes(body).map_err(|e| ApiError::invalid_field("body", e.to_string()))
    } else if content_type.starts_with("application/json") {
        parse_json(body)
    } else if body.is_empty() {
        Ok(TokenRequest::default())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/x-www-form-urlencoded (or application/json)",
        ))
    }
}

/// HTTP Basic (RFC 6749 §2.3.1) or `client_id` / `client_secret` fields.
fn credentials(headers: &HeaderMap, request: &TokenRequest) -> Result<(String, String), ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let decoded = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
            .and_then(|b64| STANDARD.decode(b64.trim()).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let Some((id, secret)) = decoded.as_deref().and_then(|pair| pair.split_once(':')) else {
            return Err(ApiError::unauthorized("invalid_client", "malformed Basic credentials"));
        };
        return Ok((id.to_owned(), secret.to_owned()));
    }
    match (&request.client_id, &request.client_secret) {
        (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
        (None, _) => Err(ApiError::unauthorized("invalid_client", "missing client_id")),
        (_, None) => Err(ApiError::unauthorized("invalid_client", "missing client_secret")),
    }
}
