//! What every handler shares.

use std::sync::Arc;

use sqlx::PgPool;
use wavestack_adapters::auth::{ClientRegistry, Tokens};
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::idempotency::IdempotencyStore;

use crate::rate_limit::{RateLimit, RateLimiter};

/// Stated limits of the API; the README lists them.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body; larger is refused with 413.
    pub body_bytes: usize,
    /// Most chat messages in one batch; more is refused with 413.
    pub batch_messages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { body_bytes: 1024 * 1024, batch_messages: 500 }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub bus: Arc<CommandBus>,
    pub tokens: Arc<Tokens>,
    pub clients: Arc<ClientRegistry>,
    pub idempotency: IdempotencyStore,
    pub limits: Limits,
    pub(crate) rate_limiter: Arc<RateLimiter>,
}

impl AppState {
    pub fn new(
        pool: PgPool,
        bus: Arc<CommandBus>,
        tokens: Arc<Tokens>,
        clients: Arc<ClientRegistry>,
        limits: Limits,
        rate_limit: RateLimit,
    ) -> Self {
        Self {
            idempotency: IdempotencyStore::new(pool.clone()),
            pool,
            bus,
            tokens,
            clients,
            limits,
            rate_limiter: Arc::new(RateLimiter::new(rate_limit)),
        }
    }
}
