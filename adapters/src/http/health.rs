//! `/health`: the process is up. `/ready`: it can serve, i.e. Postgres answers.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use sqlx::PgPool;

#[derive(Clone)]
pub struct Readiness {
    pub pool: PgPool,
}

pub fn health_routes<S: Clone + Send + Sync + 'static>(readiness: Readiness) -> Router<S> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/ready", get(ready).with_state(readiness))
}

async fn ready(State(readiness): State<Readiness>) -> (StatusCode, Json<Value>) {
    let check = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&readiness.pool)).await;
    match check {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "ready", "postgres": "ok" }))),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "not ready: Postgres refused");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "postgres": "down" })))
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "postgres": "timeout" }))),
    }
}
