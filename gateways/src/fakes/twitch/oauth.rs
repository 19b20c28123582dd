//! The fake id server: the authorization-code flow, refresh, validate and
//! revoke, as Twitch's authentication guide describes them.

// A refusal is the response itself; a test fake need not box it.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde_json::json;
use tokio::time::Instant;

use super::state::{CodeGrant, Shared, TokenInfo};

/// A code is good for ten minutes, once.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"status": status.as_u16(), "message": message}))).into_response()
}

/// The authorize page, with the signed-in user consenting at once: a
/// redirect back with a code, or a 400 for a request Twitch would refuse.
pub(super) async fn authorize(State(state): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut s = state.lock().unwrap();
    let get = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    if get("response_type") != "code" {
        return error(StatusCode::BAD_REQUEST, "unsupported response_type");
    }
    if get("client_id") != s.client_id {
        return error(StatusCode::BAD_REQUEST, "invalid client");
    }
    if s.app.redirect_uri.is_empty() || get("redirect_uri") != s.app.redirect_uri {
        return error(StatusCode::BAD_REQUEST, "redirect_mismatch");
    }
    let scopes: Vec<String> = get("scope").split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if scopes.is_empty() {
        return error(StatusCode::BAD_REQUEST, "missing scope");
    }
    let Some((user_id, login)) = s.signed_in.clone() else {
        return error(StatusCode::UNAUTHORIZED, "no one is signed in to Twitch");
    };
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    let grant = CodeGrant {
        user_id,
        login,
        scopes: scopes.clone(),
        redirect_uri: s.app.redirect_uri.clone(),
        issued: Instant::now(),
    };
    s.codes.insert(code.clone(), grant);
    let mut back = url::Url::parse(&s.app.redirect_uri).expect("the registered redirect is a URL");
    back.query_pairs_mut().append_pair("code", &code).append_pair("scope", &scopes.join(" "));
    if let Some(state) = q.get("state") {
        back.query_pairs_mut().append_pair("state", state);
    }
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

pub(super) async fn token(State(state): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut s = state.lock().unwrap();
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if get("client_id") != s.client_id || get("client_secret") != s.app.client_secret || s.app.client_secret.is_empty()
    {
        return error(StatusCode::FORBIDDEN, "invalid client secret");
    }
    let grant = match get("grant_type") {
        "authorization_code" => {
            let Some(grant) = s.codes.remove(get("code")) else {
                return error(StatusCode::BAD_REQUEST, "Invalid authorization code");
            };
            if grant.issued.elapsed() > CODE_LIFETIME || get("redirect_uri") != grant.redirect_uri {
                return error(StatusCode::BAD_REQUEST, "Invalid authorization code");
            }
            grant
        }
        "client_credentials" => {
            // An app access token: no user, no scope, no refresh token.
            let access = format!("fake-app-{}", uuid::Uuid::new_v4().simple());
            let info = TokenInfo {
                user_id: String::new(),
                login: String::new(),
                scopes: Default::default(),
                valid: true,
                expires_at: Instant::now() + s.token_lifetime,
                app: true,
            };
            s.tokens.insert(access.clone(), info);
            s.app_tokens_issued += 1;
            let body =
                json!({"access_token": access, "expires_in": s.token_lifetime.as_secs(), "token_type": "bearer"});
            return Json(body).into_response();
        }
        "refresh_token" => {
            let Some(grant) = s.refresh_tokens.remove(get("refresh_token")) else {
                return error(StatusCode::BAD_REQUEST, "Invalid refresh token");
            };
            s.refreshes += 1;
            // The tokens it replaces stop working.
            for token in s.tokens.values_mut().filter(|t| t.user_id == grant.user_id) {
                token.valid = false;
            }
            grant
        }
        _ => return error(StatusCode::BAD_REQUEST, "unsupported grant_type"),
    };
    let scopes = grant.scopes.clone();
    let (access, refresh) = s.grant(grant);
    let body = json!({
        "access_token": access,
        "expires_in": s.token_lifetime.as_secs(),
        "refresh_token": refresh,
        "scope": scopes,
        "token_type": "bearer",
    });
    Json(body).into_response()
}

pub(super) async fn validate(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let mut s = state.lock().unwrap();
    s.validations += 1;
    let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("OAuth "));
    let Some(info) = token.and_then(|t| s.tokens.get(t)).filter(|t| t.usable()) else {
        return error(StatusCode::UNAUTHORIZED, "invalid access token");
    };
    let mut scopes: Vec<&String> = info.scopes.iter().collect();
    scopes.sort();
    let body = json!({
        "client_id": s.client_id,
        "login": info.login,
        "scopes": scopes,
        "user_id": info.user_id,
        "expires_in": info.expires_at.saturating_duration_since(Instant::now()).as_secs(),
    });
    Json(body).into_response()
}

pub(super) async fn revoke(State(state): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut s = state.lock().unwrap();
    if form.get("client_id").map(String::as_str) != Some(s.client_id.as_str()) {
        return error(StatusCode::NOT_FOUND, "missing client id");
    }
    let token = form.get("token").cloned().unwrap_or_default();
    match s.tokens.get_mut(&token) {
        Some(info) if info.valid => {
            info.valid = false;
            let user = info.user_id.clone();
            s.refresh_tokens.retain(|_, grant| grant.user_id != user);
            StatusCode::OK.into_response()
        }
        _ => error(StatusCode::BAD_REQUEST, "Invalid token"),
    }
}
