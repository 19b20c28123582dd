//! Load shedding for both APIs: a bounded number of requests in flight,
//! past which the answer is 503 with `Retry-After` at once (queueing
//! without bound is what grew the process to 517 MB under overload,
//! BENCHMARKS.md), and a deadline on each request.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct LoadLimits {
    /// Requests being handled at once; more are refused with 503.
    pub max_in_flight: usize,
    /// Longest a request may take; longer is answered 503.
    pub request_timeout: Duration,
}

impl Default for LoadLimits {
    fn default() -> Self {
        Self { max_in_flight: 1024, request_timeout: Duration::from_secs(45) }
    }
}

#[derive(Debug, Clone)]
pub struct LoadShedder {
    permits: Arc<Semaphore>,
    limits: LoadLimits,
}

impl LoadShedder {
    pub fn new(limits: LoadLimits) -> Self {
        Self { permits: Arc::new(Semaphore::new(limits.max_in_flight.max(1))), limits }
    }
}

/// Probes and scrapes are answered whatever the load: an orchestrator must
/// see an overloaded process as alive, and its metrics are how one sees why.
fn exempt(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics")
}

pub async fn shed_load(State(shedder): State<LoadShedder>, request: Request, next: Next) -> Response {
    if exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = shedder.permits.clone().try_acquire_owned() else {
        metrics::counter!("wavestack_http_shed_total", "reason" => "overloaded").increment(1);
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many requests in flight; retry shortly",
        )
        .with_retry_after(Duration::from_secs(1))
        .into_response();
    };
    match tokio::time::timeout(shedder.limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::counter!("wavestack_http_shed_total", "reason" => "timeout").increment(1);
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "request_timeout",
                format!("the request took longer than {} s", shedder.limits.request_timeout.as_secs()),
            )
            .with_retry_after(Duration::from_secs(1))
            .into_response()
        }
    }
}
