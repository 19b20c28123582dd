//! `/health`: the process is up. `/ready`: what a client depends on answers,
//! and how far behind the pipeline is.
//!
//! Postgres down: 503 on both APIs. With the pipeline known (`wavestack
//! up`), the answer also reports the broker, the relay's lag and every
//! consumer's (`PipelineStatus`); an API whose answers need the broker
//! (the query API: no read model moves without it) is 503 while the broker
//! is unreachable, and the command API, which keeps accepting commands into
//! Postgres meanwhile, stays 200 and says it is degraded.
//!
//! Both answer from memory, in microseconds, whatever the load. The checks
//! run in the background ([`HealthMonitor::keep_current`]) on a connection
//! of their own: when `/ready` queried the API's pool itself, a busy
//! process (its pool taken by the batches it was accepting) left probes
//! unanswered for minutes, and an orchestrator would have restarted it
//! exactly when it was busiest (issue 26, item 17).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::kafka::KafkaConfig;
use crate::status::PipelineStatus;

/// How long one check of Postgres may take before it counts as down.
const POSTGRES_TIMEOUT: Duration = Duration::from_secs(2);
/// A result older than this is checked again when a probe asks (besides
/// the background loop), and answered meanwhile.
const STALE_AFTER: Duration = Duration::from_secs(5);
/// The pipeline is read at most this often: its reads count the relay's
/// backlog and ask the broker for every partition's watermarks, work that
/// a busy process should not do every second.
const PIPELINE_EVERY: Duration = Duration::from_secs(5);
/// How long the very first probe waits for the very first check.
const FIRST_CHECK_WAIT: Duration = Duration::from_secs(3);

/// One round of checks.
#[derive(Debug, Clone)]
struct Checked {
    at: Instant,
    /// `ok`, `down` or `timeout`.
    postgres: &'static str,
    /// None: no pipeline to check, or Postgres was not there to read it from.
    pipeline: Option<Result<PipelineStatus, ()>>,
    /// When `pipeline` was read.
    pipeline_at: Instant,
}

/// Checks Postgres and the pipeline in the background and keeps the last
/// result for the probes of both APIs. One per process.
pub struct HealthMonitor {
    /// One connection of its own, so that a pool taken by the API's work
    /// cannot hold a check up.
    probe: PgPool,
    /// The API's own pool: closed, it serves nothing, whatever the probe says.
    app: PgPool,
    kafka: Option<KafkaConfig>,
    last: RwLock<Option<Checked>>,
    checking: AtomicBool,
    checked: Notify,
}

impl std::fmt::Debug for HealthMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthMonitor").field("pipeline", &self.kafka.is_some()).finish_non_exhaustive()
    }
}

impl HealthMonitor {
    /// Checks Postgres, on a connection of its own to `pool`'s database;
    /// and the pipeline too when `kafka` is given.
    pub fn new(pool: &PgPool, kafka: Option<KafkaConfig>) -> Arc<Self> {
        let probe = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(POSTGRES_TIMEOUT)
            .connect_lazy_with((*pool.connect_options()).clone());
        Arc::new(Self {
            probe,
            app: pool.clone(),
            kafka,
            last: RwLock::new(None),
            checking: AtomicBool::new(false),
            checked: Notify::new(),
        })
    }

    /// Checks every `every` until cancelled (the pipeline at most every
    /// `PIPELINE_EVERY`), and sets the pipeline's gauges
    /// (`wavestack_broker_reachable`, `wavestack_relay_lag_events`,
    /// `wavestack_relay_oldest_seconds`, `wavestack_consumer_lag_records`).
    pub async fn keep_current(self: Arc<Self>, every: Duration, cancel: CancellationToken) -> anyhow::Result<()> {
        loop {
            self.check_once().await;
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One round, unless one is already running (then its result will do).
    async fn check_once(&self) {
        if self.checking.swap(true, Ordering::AcqRel) {
            return;
        }
        let checked = self.check().await;
        *self.last.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(checked);
        self.checking.store(false, Ordering::Release);
        self.checked.notify_waiters();
    }

    async fn check(&self) -> Checked {
        let ping = tokio::time::timeout(POSTGRES_TIMEOUT, sqlx::query("SELECT 1").execute(&self.probe)).await;
        let postgres = match ping {
            _ if self.app.is_closed() => "down",
            Ok(Ok(_)) => "ok",
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "not ready: Postgres refused");
                "down"
            }
            Err(_) => "timeout",
        };
        let previous = self.last.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let recent = previous.filter(|p| p.pipeline.is_some() && p.pipeline_at.elapsed() < PIPELINE_EVERY);
        let mut pipeline_at = Instant::now();
        let pipeline = match (&self.kafka, postgres, recent) {
            (Some(_), "ok", Some(recent)) => {
                pipeline_at = recent.pipeline_at;
                recent.pipeline
            }
            (Some(kafka), "ok", None) => Some(match PipelineStatus::read(&self.probe, kafka).await {
                Ok(status) => {
                    status.record_metrics();
                    Ok(status)
                }
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "not ready: the pipeline's status could not be read");
                    Err(())
                }
            }),
            _ => None,
        };
        Checked { at: Instant::now(), postgres, pipeline, pipeline_at }
    }

    /// The last result, at once. An old one is checked again in the
    /// background (it is still answered: it is the best known); only
    /// before the first result does a probe wait, briefly.
    async fn latest(self: &Arc<Self>) -> Option<Checked> {
        let last = self.last.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        match last {
            Some(checked) => {
                if checked.at.elapsed() >= STALE_AFTER {
                    let monitor = self.clone();
                    tokio::spawn(async move { monitor.check_once().await });
                }
                Some(checked)
            }
            None => {
                let first = self.checked.notified();
                let monitor = self.clone();
                tokio::spawn(async move { monitor.check_once().await });
                let _ = tokio::time::timeout(FIRST_CHECK_WAIT, first).await;
                self.last.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
            }
        }
    }
}

/// What one API's `/ready` says, from the process's monitor.
#[derive(Debug, Clone)]
pub struct Readiness {
    monitor: Arc<HealthMonitor>,
    /// Whether this API's answers need the broker.
    needs_broker: bool,
}

impl Readiness {
    /// Postgres only, checked when probes ask (tests, and APIs run alone).
    pub fn new(pool: PgPool) -> Self {
        Self { monitor: HealthMonitor::new(&pool, None), needs_broker: false }
    }

    /// From `monitor`, which the process keeps current; `needs_broker`: 503
    /// while the broker is unreachable.
    pub fn watching(monitor: Arc<HealthMonitor>, needs_broker: bool) -> Self {
        Self { monitor, needs_broker }
    }
}

pub fn health_routes<S: Clone + Send + Sync + 'static>(readiness: Readiness) -> Router<S> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/ready", get(ready).with_state(readiness))
}

async fn ready(State(readiness): State<Readiness>) -> (StatusCode, Json<Value>) {
    let Some(checked) = readiness.monitor.latest().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "starting" })));
    };
    answer(&checked, readiness.needs_broker)
}

fn answer(checked: &Checked, needs_broker: bool) -> (StatusCode, Json<Value>) {
    let checked_ms_ago = u64::try_from(checked.at.elapsed().as_millis()).unwrap_or(u64::MAX);
    if checked.postgres != "ok" {
        let body = json!({ "status": "unavailable", "postgres": checked.postgres, "checked_ms_ago": checked_ms_ago });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    let status = match &checked.pipeline {
        None => {
            return (
                StatusCode::OK,
                Json(json!({ "status": "ready", "postgres": "ok", "checked_ms_ago": checked_ms_ago })),
            )
        }
        Some(Err(())) => {
            let body = json!({ "status": "unavailable", "postgres": "ok", "checked_ms_ago": checked_ms_ago });
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
        }
        Some(Ok(status)) => status,
    };
    let (code, word) = match (status.serving(), needs_broker) {
        (true, _) => (StatusCode::OK, "ready"),
        (false, false) => (StatusCode::OK, "degraded"),
        (false, true) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    let mut body = json!({ "status": word, "postgres": "ok", "checked_ms_ago": checked_ms_ago });
    if let (Value::Object(body), Ok(Value::Object(pipeline))) = (&mut body, serde_json::to_value(status)) {
        body.extend(pipeline);
    }
    (code, Json(body))
}
