//! The read API: read models for dashboards and overlays (scoped by the
//! token's org), health, metrics, and the read-only, Confluent-compatible
//! schema registry endpoints that let any Kafka tool decode the log.

mod read_models;
mod registry;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Router;
use sqlx::PgPool;
use wavestack_adapters::auth::Tokens;
use wavestack_adapters::http::{
    authenticate, health_routes, metrics_route, request_context, ApiError, ApiName, Readiness,
};

#[derive(Clone)]
pub struct QueryConfig {
    pub pool: PgPool,
    /// Checks the bearer tokens of the read-model routes.
    pub tokens: Arc<Tokens>,
    /// Off when an external schema registry (`SCHEMA_REGISTRY_URL`) holds
    /// the schemas: records then carry its ids, not the catalog's.
    pub serve_registry: bool,
}

pub fn router(config: QueryConfig) -> Router {
    let read_models =
        read_models::routes(config.pool.clone()).layer(from_fn_with_state(config.tokens.clone(), authenticate));
    let mut router =
        Router::new().merge(read_models).merge(health_routes(Readiness { pool: config.pool })).merge(metrics_route());
    if config.serve_registry {
        router = router.merge(registry::routes());
    }
    router
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(from_fn_with_state(ApiName("query"), request_context))
}
