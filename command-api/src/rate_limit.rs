//! Per-caller rate limit (token bucket per org and subject): one noisy bot
//! gets 429 with `Retry-After` instead of slowing everyone down.

use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::ApiError;

use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Sustained requests per second per caller.
    pub per_second: NonZeroU32,
    /// Requests a caller may send at once after being idle.
    pub burst: NonZeroU32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { per_second: NonZeroU32::new(200).expect("non-zero"), burst: NonZeroU32::new(400).expect("non-zero") }
    }
}

pub(crate) struct RateLimiter {
    buckets: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        Self { buckets: DefaultKeyedRateLimiter::keyed(quota), clock: DefaultClock::default() }
    }

    /// `Err(wait)` when `key` is over its quota.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let key = key.to_owned();
        self.buckets.check_key(&key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))?;
        if self.buckets.len() > 10_000 {
            self.buckets.retain_recent();
        }
        Ok(())
    }
}

pub(crate) async fn limit_per_caller(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(principal) = request.extensions().get::<Principal>() else {
        return next.run(request).await;
    };
    let key = format!("{}/{}", principal.org, principal.subject);
    match state.rate_limiter.check(&key) {
        Ok(()) => next.run(request).await,
        Err(wait) => ApiError::too_many_requests(wait).into_response(),
    }
}
