//! In front of a door anyone may knock at with a secret (the token
//! endpoint's client secret, the dashboard's password): a cheap limit per
//! source address and a global one, checked before anything is read, and
//! argon2 verifications capped in concurrency. Without them a caller with
//! no credentials at all saturated the CPU and the memory (about 19 MiB per
//! argon2 run) with made-up names, each costing a full verification (the
//! decoy that hides which names exist).

use std::net::IpAddr;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{ApiError, KeyedLimiter, RateLimit};

#[derive(Debug, Clone, Copy)]
pub struct PasswordLimits {
    /// Requests per source address.
    pub per_address: RateLimit,
    /// Requests of everyone together.
    pub global: RateLimit,
    /// argon2 verifications at once; the rest wait up to `verify_wait`.
    pub concurrent_verifications: usize,
    pub verify_wait: Duration,
}

impl Default for PasswordLimits {
    /// Clients ask for a token every few minutes, and people log in now
    /// and then: not many a second.
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
pub struct PasswordGate {
    /// What the door is, for the metrics (`token`, `login`).
    door: &'static str,
    per_address: KeyedLimiter,
    global: KeyedLimiter,
    verifications: Semaphore,
    verify_wait: Duration,
}

impl PasswordGate {
    pub fn new(door: &'static str, limits: PasswordLimits) -> Self {
        Self {
            door,
            per_address: KeyedLimiter::new(limits.per_address),
            global: KeyedLimiter::new(limits.global),
            verifications: Semaphore::new(limits.concurrent_verifications.max(1)),
            verify_wait: limits.verify_wait,
        }
    }

    /// Before anything else is read: cheap, so a flood costs little.
    pub fn admit(&self, address: Option<IpAddr>) -> Result<(), ApiError> {
        let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        let refused = self.per_address.check(&address, 1).err().or_else(|| self.global.check("all", 1).err());
        match refused {
            None => Ok(()),
            Some(wait) => {
                metrics::counter!("wavestack_password_requests_refused_total", "door" => self.door, "reason" => "rate_limited")
                    .increment(1);
                Err(ApiError::too_many_requests(wait))
            }
        }
    }

    /// A turn at argon2, or 503 when the turns are taken for too long.
    pub async fn verification(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(self.verify_wait, self.verifications.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => {
                metrics::counter!("wavestack_password_requests_refused_total", "door" => self.door, "reason" => "busy")
                    .increment(1);
                Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "too many requests at once; retry")
                    .with_retry_after(Duration::from_secs(1)))
            }
        }
    }
}
