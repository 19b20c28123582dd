//! `Idempotency-Key`: the first request with a key runs and its answer is
//! kept; a retry with the same key and request gets that answer again
//! (`Idempotent-Replayed: true`); the same key with another request is
//! refused (422); a retry arriving while the first still runs waits for its
//! answer. Keys are per org.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::ApiError;
use wavestack_adapters::idempotency::{Claim, StoredAnswer};
use wavestack_domain::value::IdempotencyKey;

use crate::state::AppState;

pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub(crate) const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a retry waits for a concurrent first request to finish.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

/// Set by a handler on an answer that must not be replayed although its
/// status is final: a batch with `failed` items, which a retry with the
/// same key must run again to write what failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NotFinal;

/// Handed to handlers so that ids they create derive from the key: a
/// request re-run after a crash creates the same clip, not a second one.
#[derive(Debug, Clone)]
pub(crate) struct UsedKey(pub IdempotencyKey);

pub(crate) async fn idempotent(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match run(state, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn run(state: AppState, request: Request, next: Next) -> Result<Response, Response> {
    let Some(raw) = request.headers().get(&IDEMPOTENCY_KEY) else {
        return Ok(next.run(request).await);
    };
    let key = raw
        .to_str()
        .ok()
        .map(IdempotencyKey::parse)
        .ok_or_else(|| refuse("is not visible ASCII"))?
        .map_err(|e| ApiError::invalid_value("Idempotency-Key", &e).into_response())?;
    let org = request.extensions().get::<Principal>().map(|p| p.org.clone()).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("idempotency layer runs without a principal")).into_response()
    })?;

    let (mut parts, body) = request.into_parts();
    let body = to_bytes(body, state.limits.body_bytes)
        .await
        .map_err(|_| ApiError::payload_too_large("the request body is larger than the limit").into_response())?;
    let fingerprint = state.idempotency.fingerprint(parts.method.as_str(), parts.uri.path(), &body);

    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        match state.idempotency.claim(&org, &key, &fingerprint).await.map_err(internal)? {
            Claim::Fresh => break,
            Claim::Replay(answer) => return Ok(replay(answer)),
            Claim::Mismatch => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used for a different request",
                )
                .with_field("Idempotency-Key")
                .into_response())
            }
            Claim::InProgress if tokio::time::Instant::now() < deadline => tokio::time::sleep(POLL).await,
            Claim::InProgress => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "idempotency_in_progress",
                    "a request with this Idempotency-Key is still running; retry later",
                )
                .with_retry_after(Duration::from_secs(1))
                .into_response())
            }
        }
    }

    parts.extensions.insert(UsedKey(key.clone()));
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(error) => {
            let _ = state.idempotency.release(&org, &key).await;
            return Err(internal(anyhow::anyhow!("reading our own answer: {error}")));
        }
    };
    if is_final(parts.status) && parts.extensions.get::<NotFinal>().is_none() {
        let answer = StoredAnswer { status: parts.status.as_u16(), body: body.to_vec() };
        state.idempotency.complete(&org, &key, &answer).await.map_err(internal)?;
    } else if let Err(error) = state.idempotency.release(&org, &key).await {
        tracing::warn!(error = format!("{error:#}"), "could not release an idempotency key");
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// Answers worth replaying: what the request did or why it was refused.
/// Transient ones (conflict, rate limit, our own failures) are not kept, so
/// a retry runs again.
fn is_final(status: StatusCode) -> bool {
    !(status == StatusCode::CONFLICT || status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error())
}

fn replay(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

fn refuse(why: &str) -> Response {
    ApiError::invalid_field("Idempotency-Key", why).into_response()
}

fn internal(error: anyhow::Error) -> Response {
    ApiError::internal(error).into_response()
}
