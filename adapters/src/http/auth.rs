//! Bearer tokens and scopes. The token is checked before anything else of
//! the request is looked at; the scope before the body is parsed, so a
//! caller without the scope learns nothing about the body's validity.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::auth::{Principal, Scope, Tokens};

/// Puts the token's `Principal` in the request's extensions, or answers 401.
pub async fn authenticate(State(tokens): State<Arc<Tokens>>, mut request: Request, next: Next) -> Response {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return ApiError::unauthorized("missing_token", "send `Authorization: Bearer <token>`").into_response();
    };
    let token = value.to_str().ok().and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    let Some(token) = token else {
        return ApiError::unauthorized("missing_token", "the Authorization header must be `Bearer <token>`")
            .into_response();
    };
    match tokens.verify(token) {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => ApiError::unauthorized(error.code(), error.to_string()).into_response(),
    }
}

/// Answers 403 unless the principal holds `scope`.
pub async fn require_scope(State(scope): State<Scope>, request: Request, next: Next) -> Response {
    let allowed = request.extensions().get::<Principal>().is_some_and(|p| p.scopes.contains(scope));
    if allowed {
        next.run(request).await
    } else {
        ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", format!("this route needs the `{scope}` scope"))
            .into_response()
    }
}
