//! `/health`: the process is up. `/ready`: what a client depends on answers,
//! and how far behind the pipeline is.
//!
//! Postgres down: 503 on both APIs. With the pipeline known (`wavestack
//! up`), the answer also reports the broker, the relay's lag and every
//! consumer's (`PipelineStatus`); an API whose answers need the broker
//! (the query API: no read model moves without it) is 503 while the broker
//! is unreachable, and the command API, which keeps accepting commands into
//! Postgres meanwhile, stays 200 and says it is degraded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::Mutex;

use crate::kafka::KafkaConfig;
use crate::status::PipelineStatus;

/// The pipeline's status is read at most this often, however often
/// `/ready` is asked.
const STATUS_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Readiness {
    pub pool: PgPool,
    pipeline: Option<Pipeline>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness").finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Pipeline {
    kafka: KafkaConfig,
    /// Whether this API's answers need the broker.
    needs_broker: bool,
    last: Arc<Mutex<Option<(Instant, PipelineStatus)>>>,
}

impl Readiness {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, pipeline: None }
    }

    /// Reports the pipeline too; `needs_broker`: 503 while it is unreachable.
    pub fn with_pipeline(mut self, kafka: KafkaConfig, needs_broker: bool) -> Self {
        self.pipeline = Some(Pipeline { kafka, needs_broker, last: Arc::new(Mutex::new(None)) });
        self
    }
}

pub fn health_routes<S: Clone + Send + Sync + 'static>(readiness: Readiness) -> Router<S> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/ready", get(ready).with_state(readiness))
}

async fn ready(State(readiness): State<Readiness>) -> (StatusCode, Json<Value>) {
    let check = tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(&readiness.pool)).await;
    let postgres = match check {
        Ok(Ok(_)) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "not ready: Postgres refused");
            "down"
        }
        Err(_) => "timeout",
    };
    if postgres != "ok" {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "postgres": postgres })));
    }
    let Some(pipeline) = &readiness.pipeline else {
        return (StatusCode::OK, Json(json!({ "status": "ready", "postgres": "ok" })));
    };
    let status = {
        let mut last = pipeline.last.lock().await;
        match &*last {
            Some((at, status)) if at.elapsed() < STATUS_EVERY => Ok(status.clone()),
            _ => match PipelineStatus::read(&readiness.pool, &pipeline.kafka).await {
                Ok(status) => {
                    *last = Some((Instant::now(), status.clone()));
                    Ok(status)
                }
                Err(error) => Err(error),
            },
        }
    };
    let status = match status {
        Ok(status) => status,
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "not ready: the pipeline's status could not be read");
            return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "postgres": "ok" })));
        }
    };
    let (code, word) = match (status.serving(), pipeline.needs_broker) {
        (true, _) => (StatusCode::OK, "ready"),
        (false, false) => (StatusCode::OK, "degraded"),
        (false, true) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    let mut body = json!({ "status": word, "postgres": "ok" });
    if let (Value::Object(body), Ok(Value::Object(pipeline))) = (&mut body, serde_json::to_value(&status)) {
        body.extend(pipeline);
    }
    (code, Json(body))
}
