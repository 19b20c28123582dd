//! What every handler shares.

use std::sync::Arc;

use sqlx::PgPool;
use wavestack_adapters::auth::{ClientRegistry, Tokens};
use wavestack_adapters::command_bus::CommandBus;
use wavestack_adapters::idempotency::IdempotencyStore;
use wavestack_adapters::media::{RenderQuota, SourcePolicy};
use wavestack_adapters::publishers::ConfiguredTargets;

use wavestack_adapters::http::{LoadLimits, LoadShedder, RateLimiter, RateLimits, Readiness};

use wavestack_app::App;

use wavestack_adapters::http::{CallerSlots, PasswordGate, PasswordLimits as TokenLimits};

/// Stated limits of the API; docs/operators.md lists them.
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

/// What each org owns that the command API checks a request against, so
/// that a request reaching for another org's is refused at once instead of
/// accepted and failing later.
#[derive(Debug, Clone, Default)]
pub struct Tenancy {
    /// Where each org may publish; a publication naming another target is
    /// refused (422). Empty: every publication is refused.
    pub targets: ConfiguredTargets,
    /// Each org's media: a clip's source that is not a recording of the
    /// caller's org is refused (422, one answer for every reason). `None`
    /// when no renderer shares this process's disk; the renderer then
    /// refuses it with the same text.
    pub sources: Option<SourcePolicy>,
    /// The public URL base of rendered clips: an asset URL under it is
    /// refused, since a clip of ours is published by its `clip_id`, which is
    /// checked to be the caller's org's.
    pub clips_public_base: Option<String>,
    /// Each org's share of the renderers: a clip request past it is
    /// refused (429). `None`: unbounded (tests of other things).
    pub render_quota: Option<RenderQuota>,
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub bus: Arc<CommandBus>,
    pub tokens: Arc<Tokens>,
    pub clients: Arc<ClientRegistry>,
    pub idempotency: IdempotencyStore,
    pub limits: Limits,
    pub tenancy: Arc<Tenancy>,
    pub(crate) rate_limiter: Arc<RateLimiter>,
    pub(crate) shedder: LoadShedder,
    pub(crate) token_gate: Arc<PasswordGate>,
    /// The bots' reply feed's waiting long polls and sockets, per caller.
    pub(crate) feed_waits: Arc<CallerSlots>,
    /// The same, per org: many tokens of one org do not add up to more.
    pub(crate) feed_org_waits: Arc<CallerSlots>,
    /// The bot's use cases, on the same bus.
    pub app: App,
    /// What `/ready` checks: Postgres, and the pipeline once `with_readiness` says where it is.
    pub readiness: Readiness,
}

impl AppState {
    pub fn new(
        pool: PgPool,
        bus: Arc<CommandBus>,
        tokens: Arc<Tokens>,
        clients: Arc<ClientRegistry>,
        limits: Limits,
        rate_limits: RateLimits,
    ) -> anyhow::Result<Self> {
        let idempotency_secret = tokens.keys().secret("idempotency")?;
        Ok(Self {
            idempotency: IdempotencyStore::new(pool.clone(), &idempotency_secret),
            app: App::new(pool.clone(), bus.clone()),
            readiness: Readiness::new(pool.clone()),
            pool,
            bus,
            tokens,
            clients,
            limits,
            tenancy: Arc::new(Tenancy::default()),
            rate_limiter: Arc::new(RateLimiter::new(rate_limits)),
            shedder: LoadShedder::new(LoadLimits::default()),
            token_gate: Arc::new(PasswordGate::new("token", TokenLimits::default())),
            feed_waits: CallerSlots::new(crate::routes::FEED_WAITS_PER_CALLER),
            feed_org_waits: CallerSlots::new(crate::routes::FEED_WAITS_PER_ORG),
        })
    }

    pub fn with_load_limits(mut self, limits: LoadLimits) -> Self {
        self.shedder = LoadShedder::new(limits);
        self
    }

    pub fn with_token_limits(mut self, limits: TokenLimits) -> Self {
        self.token_gate = Arc::new(PasswordGate::new("token", limits));
        self
    }

    pub fn with_readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = readiness;
        self
    }

    pub fn with_tenancy(mut self, tenancy: Tenancy) -> Self {
        self.tenancy = Arc::new(tenancy);
        self
    }
}
