//! The read API: read models for dashboards and overlays (scoped by the
//! token's org), health, metrics, and the read-only, Confluent-compatible
//! schema registry endpoints that let any Kafka tool decode the log.

mod live;
mod pages;
mod read_models;
mod registry;

pub use live::LiveHub;
pub use pages::{ConnectionsConfig, PagesConfig, TEST_MESSAGE};

use wavestack_adapters::http::CallerSlots;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Router;
use sqlx::PgPool;
use wavestack_adapters::auth::Tokens;
pub use wavestack_adapters::http::{LoadLimits, RateLimits};

pub use wavestack_adapters::http::Readiness;
use wavestack_adapters::http::{
    authenticate, health_routes, limit_per_caller, metrics_route, openapi_route, request_context, shed_load, ApiError,
    ApiName, ErrorEnvelope, LoadShedder, RateLimiter,
};

#[derive(Debug, Clone)]
pub struct QueryConfig {
    pub pool: PgPool,
    /// Checks the bearer tokens of the read-model routes.
    pub tokens: Arc<Tokens>,
    /// Fans read-model changes out to `/v1/live`; `LiveHub::listen` feeds it.
    pub live: Arc<LiveHub>,
    /// Off when an external schema registry (`SCHEMA_REGISTRY_URL`) holds
    /// the schemas: records then carry its ids, not the catalog's.
    pub serve_registry: bool,
    /// Rendered clips, served read-only under `/files` (with range
    /// requests, so players can seek). Their names are capabilities (an
    /// HMAC of org and clip id under the operator's key); no token is
    /// needed, as for a CDN.
    pub files_dir: Option<std::path::PathBuf>,
    /// Per caller and per org, on the read routes and the live feed.
    pub rate_limits: RateLimits,
    /// Requests in flight and their deadline.
    pub load: LoadLimits,
    /// Read-your-writes waits one caller may have in progress at once.
    pub max_waits_per_caller: usize,
    /// What `/ready` checks; `None`: Postgres only.
    pub readiness: Option<Readiness>,
    /// The dashboard's and overlays' way to the command API.
    pub pages: PagesConfig,
}

impl QueryConfig {
    pub fn new(pool: PgPool, tokens: Arc<Tokens>, live: Arc<LiveHub>) -> Self {
        Self {
            pool,
            tokens,
            live,
            serve_registry: true,
            files_dir: None,
            rate_limits: RateLimits::default(),
            load: LoadLimits::default(),
            max_waits_per_caller: read_models::MAX_WAITS_PER_CALLER,
            readiness: None,
            pages: PagesConfig::default(),
        }
    }
}

/// Rendered clips and thumbnails, by their capability names.
#[utoipa::path(
    get,
    path = "/files/{file}",
    tag = "files",
    params(("file" = String, Path, description = "The file's path as the clip's `media_uri` or `thumbnail_uri` gives it")),
    responses(
        (status = 200, description = "The file (video or JPEG), with range requests"),
        (status = "default", description = "No such file", body = ErrorEnvelope)
    )
)]
#[allow(dead_code)]
fn files() {}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "WaveStack query API",
        description = "Read models, the live feed, rendered files and the read-only schema registry."
    ),
    paths(files)
)]
struct QueryApiDoc;

/// The OpenAPI 3.1 document this API serves at `/openapi.json`: the
/// registry's routes only where it serves them.
pub fn openapi(serve_registry: bool) -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let mut document = QueryApiDoc::openapi();
    document.merge(read_models::document());
    document.merge(live::routes().split_for_parts().1);
    if serve_registry {
        document.merge(registry::document());
    }
    wavestack_adapters::http::document(document)
}

pub fn router(config: QueryConfig) -> Router {
    let limiter = Arc::new(RateLimiter::new(config.rate_limits));
    let read_models = read_models::routes(config.pool.clone(), config.max_waits_per_caller)
        .layer(from_fn_with_state(limiter.clone(), limit_per_caller))
        .layer(from_fn_with_state(config.tokens.clone(), authenticate));
    let live = live::routes().split_for_parts().0.with_state(live::LiveState {
        tokens: config.tokens.clone(),
        hub: config.live.clone(),
        limiter,
        sockets: CallerSlots::new(live::MAX_SOCKETS_PER_CALLER),
    });
    let mut router = Router::new()
        .merge(read_models)
        .merge(live)
        .merge(pages::routes(config.pool.clone(), config.tokens.clone(), config.live.clone(), config.pages.clone()))
        .merge(health_routes(config.readiness.clone().unwrap_or_else(|| Readiness::new(config.pool.clone()))))
        .merge(metrics_route())
        .merge(openapi_route(openapi(config.serve_registry)));
    if config.serve_registry {
        router = router.merge(registry::routes());
    }
    if let Some(dir) = &config.files_dir {
        use axum::handler::HandlerWithoutStateExt;
        let missing = (|| async { ApiError::not_found("no such file") }).into_service();
        router = router.nest_service("/files", tower_http::services::ServeDir::new(dir).fallback(missing));
    }
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(from_fn_with_state(LoadShedder::new(config.load), shed_load))
        .layer(from_fn_with_state(ApiName("query"), request_context))
}
