//! The write API: bots, dashboards and workers send commands here; each is
//! authenticated, parsed into domain values at the edge, run through the
//! command bus, and answered `202` with the aggregate id and sequence.
//!
//! Layers, outermost first: request context (id, log, metrics) → load
//! shedding (requests in flight, deadline) → body limit → bearer token →
//! rate limit (per caller and org) → per route: scope → idempotency →
//! handler.

mod command_error;
mod edge;
mod idempotency;
mod routes;
mod state;

pub use state::{AppState, Limits, Tenancy};
/// The token endpoint's limits: those of any password door.
pub use wavestack_adapters::http::PasswordLimits as TokenLimits;
pub use wavestack_adapters::http::{LoadLimits, RateLimit, RateLimits};

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Router;
pub use wavestack_adapters::http::Readiness;
use wavestack_adapters::http::{
    authenticate, health_routes, limit_per_caller, metrics_route, openapi_route, request_context, shed_load, ApiError,
    ApiName,
};

/// The OpenAPI 3.1 document this API serves at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    wavestack_adapters::http::document(routes::document())
}

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The command API with `extra` routes that bring their own checks (the
/// platforms' webhook callbacks, which are signed rather than bearing a
/// token), under the same body limit, load shedding and request context.
pub fn router_with(state: AppState, extra: Router) -> Router {
    let commands = routes::commands(&state)
        .layer(from_fn_with_state(state.rate_limiter.clone(), limit_per_caller))
        .layer(from_fn_with_state(state.tokens.clone(), authenticate));
    Router::new()
        .merge(commands)
        .merge(extra)
        .merge(routes::auth(&state))
        .merge(health_routes(state.readiness.clone()))
        .merge(metrics_route())
        .merge(openapi_route(openapi()))
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(DefaultBodyLimit::max(state.limits.body_bytes))
        .layer(from_fn_with_state(state.shedder.clone(), shed_load))
        .layer(from_fn_with_state(ApiName("command"), request_context))
}
