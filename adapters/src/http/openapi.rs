//! What both APIs' OpenAPI 3.1 documents share: the bearer scheme, the
//! error shape, the operations every API serves (`/health`, `/ready`,
//! `/metrics`, `/openapi.json`), and the route that serves the document.
//! Each API derives its own document from its handlers' `#[utoipa::path]`
//! attributes and merges these in (`document`).

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use super::error::{ErrorBody, ErrorEnvelope};

/// `Authorization: Bearer <JWT>`, as `security(("bearer" = []))` names it.
#[derive(Debug)]
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Every route's refusals and failures, in one place: `responses((status =
/// 202, …), Refused)`.
#[derive(Debug, utoipa::IntoResponses)]
#[response(
    status = "default",
    description = "A refusal or failure, as `{\"error\": {...}}`; the status says which: 400 malformed, 401 token, \
                   403 scope, 404 not found (another org's too), 409 conflict, 413 too large, 415 not JSON, \
                   422 a field refused (named in `field`), 429 too many (`Retry-After`), 503 unavailable, \
                   504 not caught up"
)]
pub struct Refused(#[to_schema] pub ErrorEnvelope);

#[derive(OpenApi)]
#[openapi(paths(health, ready, metrics, openapi_json), components(schemas(ErrorBody, ErrorEnvelope)))]
struct Shared;

/// The API's own document with the shared operations and schemes merged in.
pub fn document(mut own: Document) -> Document {
    own.merge(Shared::openapi());
    BearerAuth.modify(&mut own);
    own
}

/// `GET /openapi.json`: the document, as built once at start.
pub fn openapi_route<S: Clone + Send + Sync + 'static>(document: Document) -> Router<S> {
    let document = Arc::new(document);
    Router::new().route("/openapi.json", get(move || async move { Json(document.as_ref().clone()) }))
}

// The shared routes are closures or live in `health` and `metrics`; these
// functions only carry their documentation.

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "Up", body = Object)))]
#[allow(dead_code)]
fn health() {}

/// Postgres answers, and how far behind the pipeline is (broker, relay,
/// every consumer).
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses(
        (status = 200, description = "Ready (the command API also while degraded: the broker away)", body = Object),
        (status = 503, description = "Not ready: Postgres down, or (query API) the broker unreachable", body = Object)
    )
)]
#[allow(dead_code)]
fn ready() {}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "The Prometheus text format", body = String, content_type = "text/plain"))
)]
#[allow(dead_code)]
fn metrics() {}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object))
)]
#[allow(dead_code)]
fn openapi_json() {}
