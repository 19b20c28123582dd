//! In front of `POST /v1/auth/token`, which anyone may call: a cheap limit
//! per source address and a global one, checked before any argon2 work,
//! and argon2 verifications capped in concurrency. Without them a caller
//! with no token at all saturated the CPU with made-up client ids, each
//! costing a full argon2 verification (the decoy that hides which ids
//! exist), rate-limited only per made-up id.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{Semaphore, SemaphorePermit};
use wavestack_adapters::http::{ApiError, KeyedLimiter, RateLimit};

#[derive(Debug, Clone, Copy)]
pub struct TokenLimits {
    /// Token requests per source address.
    pub per_address: RateLimit,
    /// Token requests of everyone together.
    pub global: RateLimit,
    /// argon2 verifications at once; the rest wait up to `verify_wait`.
    pub concurrent_verifications: usize,
    pub verify_wait: Duration,
}

impl Default for TokenLimits {
    /// Clients ask for a token every few minutes, not many a second.
    fn default() -> Self {
        Self {
            per_address: RateLimit::new(5, 20),
            global: RateLimit::new(50, 100),
            concurrent_verifications: 2,
            verify_wait: Duration::from_secs(2),
        }
    }
}

#[derive(Debug)]
pub(crate) struct TokenGate {
    per_address: KeyedLimiter,
    global: KeyedLimiter,
    verifications: Semaphore,
    verify_wait: Duration,
}

impl TokenGate {
    pub(crate) fn new(limits: TokenLimits) -> Self {
        Self {
            per_address: KeyedLimiter::new(limits.per_address),
            global: KeyedLimiter::new(limits.global),
            verifications: Semaphore::new(limits.concurrent_verifications.max(1)),
            verify_wait: limits.verify_wait,
        }
    }

    /// Before anything else is read: cheap, so a flood costs little.
    pub(crate) fn admit(&self, address: Option<IpAddr>) -> Result<(), ApiError> {
        let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let refused = self.per_address.check(&address, 1).err().or_else(|| self.global.check("all", 1).err());
        match refused {
            None => Ok(()),
            Some(wait) => {
                metrics::counter!("wavestack_token_requests_refused_total", "reason" => "rate_limited").increment(1);
                Err(ApiError::too_many_requests(wait))
            }
        }
    }

    /// A turn at argon2, or 503 when the turns are taken for too long.
    pub(crate) async fn verification(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(self.verify_wait, self.verifications.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                metrics::counter!("wavestack_token_requests_refused_total", "reason" => "busy").increment(1);
                Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "too many token requests at once; retry")
                    .with_retry_after(Duration::from_secs(1)))
            }
        }
    }
}
