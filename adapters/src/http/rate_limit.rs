//! Rate limits per caller (org and token subject) and per org, counted in
//! messages: a request costs one, a chat batch one per message (200
//! requests a second of 500-message batches is 100,000 messages a second,
//! not 200). A caller over its quota, or a caller of an org over the org's,
//! gets 429 with `Retry-After` instead of slowing everyone down.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::ApiError;
use crate::auth::Principal;

#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Sustained messages (or requests) per second.
    pub per_second: NonZeroU32,
    /// How many may come at once after being idle; a chat batch must fit.
    pub burst: NonZeroU32,
}

impl RateLimit {
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: NonZeroU32::new(per_second.max(1)).expect("non-zero"),
            burst: NonZeroU32::new(burst.max(1)).expect("non-zero"),
        }
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

impl Default for RateLimit {
    /// Per caller: a batch of 500 fits twice in the burst.
    fn default() -> Self {
        Self::new(1_000, 2_000)
    }
}

/// Both quotas of one API.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_caller: RateLimit,
    pub per_org: RateLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { per_caller: RateLimit::default(), per_org: RateLimit::new(2_000, 4_000) }
    }
}

/// Keyed token buckets; kept small by forgetting idle keys.
#[derive(Debug)]
pub struct KeyedLimiter {
    buckets: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl KeyedLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self { buckets: DefaultKeyedRateLimiter::keyed(limit.quota()), clock: DefaultClock::default() }
    }

    /// `Err(wait)` when `key` cannot spend `cost` now. A cost above the
    /// burst can never be spent: it waits a whole second, and says so.
    pub fn check(&self, key: &str, cost: u32) -> Result<(), Duration> {
        let Some(cost) = NonZeroU32::new(cost) else { return Ok(()) };
        let outcome = self.buckets.check_key_n(&key.to_owned(), cost);
        if self.buckets.len() > 10_000 {
            self.buckets.retain_recent();
        }
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
            Err(_) => Err(Duration::from_secs(1)),
        }
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    callers: KeyedLimiter,
    orgs: KeyedLimiter,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self { callers: KeyedLimiter::new(limits.per_caller), orgs: KeyedLimiter::new(limits.per_org) }
    }

    /// Spends `cost` of the caller's quota and of its org's.
    pub fn charge(&self, principal: &Principal, cost: u32) -> Result<(), Duration> {
        self.callers.check(&format!("{}/{}", principal.org, principal.subject), cost)?;
        self.orgs.check(principal.org.as_str(), cost)
    }
}

/// Every authenticated request costs one; handlers charge the rest of
/// what they carry (`RateLimiter::charge`).
pub async fn limit_per_caller(State(limiter): State<Arc<RateLimiter>>, request: Request, next: Next) -> Response {
    let Some(principal) = request.extensions().get::<Principal>() else {
        return next.run(request).await;
    };
    match limiter.charge(principal, 1) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            metrics::counter!("wavestack_http_rate_limited_total").increment(1);
            ApiError::too_many_requests(wait).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::ScopeSet;
    use wavestack_domain::value::{ActorId, OrgId};

    fn principal(org: &str, subject: &str) -> Principal {
        Principal {
            subject: ActorId::parse(subject).unwrap(),
            org: OrgId::parse(org).unwrap(),
            scopes: ScopeSet::parse("chat:write").unwrap(),
            expires_at: i64::MAX,
        }
    }

    #[test]
    fn messages_count_not_requests_and_the_org_bounds_its_callers() {
        let limiter =
            RateLimiter::new(RateLimits { per_caller: RateLimit::new(1, 500), per_org: RateLimit::new(1, 800) });
        let (bot, other_bot) = (principal("acme", "bot-1"), principal("acme", "bot-2"));
        assert!(limiter.charge(&bot, 500).is_ok(), "one full batch");
        assert!(limiter.charge(&bot, 1).is_err(), "the caller's quota is spent by messages");
        assert!(limiter.charge(&other_bot, 300).is_ok());
        assert!(limiter.charge(&other_bot, 1).is_err(), "the org's quota is shared by its callers");
        assert!(limiter.charge(&principal("rival", "bot-1"), 500).is_ok(), "another org is untouched");
        assert!(limiter.charge(&principal("rival", "bot-3"), 600).is_err(), "more than a burst never fits");
    }
}
