//! `wavestack up`: everything in one process. On SIGINT/SIGTERM both APIs
//! stop accepting and finish their in-flight requests, the relay finishes
//! the batch in hand, and the local broker (if we started it) stops.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::auth::{ClientRegistry, KeyStore, Tokens};
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::http::{metrics_handle, serve_with};
use wavestack_adapters::idempotency::IdempotencyStore;
use wavestack_adapters::kafka::{LocalBroker, LocalBrokerStorage};
use wavestack_adapters::publishers::ConfiguredTargets;
use wavestack_command_api::{AppState, Readiness, Tenancy};
use wavestack_projections::analytics::Analytics;
use wavestack_projections::audit::Audit;
use wavestack_projections::leaderboard::Leaderboard;
use wavestack_projections::queue::Queue;
use wavestack_query_api::{LiveHub, QueryConfig};
use wavestack_workers::chat_clips::Recording;

use super::{connect_and_migrate, kafka_config, run_relay, schema_ids};
use crate::config::UpArgs;
use crate::config_file::FileConfig;
use crate::shutdown;

pub async fn run(args: UpArgs, file: FileConfig) -> anyhow::Result<()> {
    let cancel = shutdown::on_signal();
    metrics_handle();
    let pool = connect_and_migrate(&args.database).await?;

    // Held until the end of `up`: dropping it stops the local broker.
    let (_local_broker, brokers) = match &args.kafka_brokers {
        Some(brokers) => (None, brokers.clone()),
        None => {
            let dir =
                std::path::absolute(args.keys.data_dir().join("kafka")).context("resolving the data directory")?;
            let broker = tokio::task::spawn_blocking(move || {
                LocalBroker::start_on(local_broker_port(), LocalBrokerStorage::Sqlite(dir))
            })
            .await??;
            tracing::info!(bootstrap = %broker.bootstrap(), data_dir = ?broker.data_dir(), "local Kafka broker started");
            let broker = broker.watched();
            let bootstrap = broker.bootstrap().to_owned();
            (Some(broker), bootstrap)
        }
    };
    let kafka = kafka_config(&brokers, &args.kafka);
    let schema_ids = schema_ids(&args.kafka).await?;

    let key_dir = args.keys.key_dir();
    let keys = tokio::task::spawn_blocking(move || KeyStore::open(key_dir)).await??;
    let tokens = Arc::new(Tokens::new(Arc::new(keys), args.keys.token_settings()));
    let projection_kafka = kafka.clone();
    let (renderer_kafka, renderer_ids) = (kafka.clone(), schema_ids.clone());
    let renderer = args.media.renderer(args.keys.data_dir(), args.api.query_api_addr)?;
    let clips = (renderer.public_base.clone(), renderer.files.dir().to_owned());
    let platforms = args.publish.platforms(&file.destinations, &pool)?;
    let quota = args.media.render_quota(&pool);
    let targets = ConfiguredTargets::new(&file.destinations);
    check_recordings(&file.recordings, &targets)?;
    let projection_ids = schema_ids.clone();
    let clients = ClientRegistry::from_config(&file.clients).context("service clients in the config file")?;
    if clients.is_empty() {
        tracing::warn!(
            "no service clients configured: POST /v1/auth/token refuses everyone; `wavestack token issue` still works"
        );
    }
    let bus = Arc::new(CommandBus::new(pool.clone(), Policies::default()));
    let tenancy = Tenancy {
        targets,
        sources: Some(renderer.policy.clone()),
        clips_public_base: Some(renderer.public_base.clone()),
        render_quota: Some(quota.clone()),
    };
    let command_state =
        AppState::new(pool.clone(), bus, tokens.clone(), Arc::new(clients), args.api.limits(), args.api.rate_limits())
            .with_tenancy(tenancy)
            .with_readiness(Readiness::new(pool.clone()).with_pipeline(kafka.clone(), false))
            .with_load_limits(args.api.load_limits())
            .with_token_limits(args.api.token_limits());
    let command_listener = bind(args.api.command_api_addr, "command API").await?;
    let query_listener = bind(args.api.query_api_addr, "query API").await?;
    let live = LiveHub::new();
    let query_config = QueryConfig {
        serve_registry: args.kafka.schema_registry_url.is_none(),
        files_dir: Some(renderer.files.dir().to_owned()),
        rate_limits: args.api.rate_limits(),
        load: args.api.load_limits(),
        max_waits_per_caller: args.api.max_waits_per_caller,
        readiness: Some(Readiness::new(pool.clone()).with_pipeline(kafka.clone(), true)),
        ..QueryConfig::new(pool.clone(), tokens, live.clone())
    };

    let mut tasks = tokio::task::JoinSet::new();
    let serve_limits = args.api.serve_limits();
    tasks.spawn(serve_with(
        command_listener,
        wavestack_command_api::router(command_state),
        serve_limits,
        cancel.clone(),
    ));
    tasks.spawn(serve_with(query_listener, wavestack_query_api::router(query_config), serve_limits, cancel.clone()));
    tasks.spawn(run_relay(pool.clone(), kafka.clone(), args.kafka.clone(), schema_ids, cancel.clone()));
    tasks.spawn(run_projections(pool.clone(), projection_kafka, projection_ids, cancel.clone()));
    tasks.spawn(live.listen(pool.clone(), cancel.clone()));
    tasks.spawn(super::workers::run_retention(
        pool.clone(),
        renderer.files.clone(),
        args.media.clip_retention_days,
        cancel.clone(),
    ));
    tasks.spawn(super::workers::run_renderer(
        pool.clone(),
        renderer_kafka.clone(),
        renderer_ids.clone(),
        renderer,
        args.media.render_jobs,
        quota.clone(),
        cancel.clone(),
    ));
    tasks.spawn(super::workers::run_chat_clipper(
        pool.clone(),
        renderer_kafka.clone(),
        renderer_ids.clone(),
        file.recordings.clone(),
        quota,
        cancel.clone(),
    ));
    tasks.spawn(super::workers::run_asset_ready(pool.clone(), renderer_kafka, renderer_ids, cancel.clone()));
    tasks.spawn(super::workers::run_publisher(
        pool.clone(),
        kafka.clone(),
        platforms,
        args.publish.publish_concurrency,
        clips,
        cancel.clone(),
    ));
    tasks.spawn(wavestack_adapters::status::watch(pool.clone(), kafka.clone(), Duration::from_secs(5), cancel.clone()));
    tasks.spawn(purge_idempotency_keys(IdempotencyStore::new(pool.clone()), cancel.clone()));
    tracing::info!(
        command_api = %args.api.command_api_addr,
        query_api = %args.api.query_api_addr,
        "WaveStack is up"
    );

    // The first task to end (normally all of them, on a signal) takes the
    // others down with it.
    let mut outcome = Ok(());
    while let Some(done) = tasks.join_next().await {
        let result = done.context("a task panicked").and_then(|r| r);
        if let Err(error) = result {
            tracing::error!(error = format!("{error:#}"), "a component failed; shutting down");
            if outcome.is_ok() {
                outcome = Err(error);
            }
        }
        cancel.cancel();
    }
    pool.close().await;
    tracing::info!("stopped");
    outcome
}

/// A recording's `publish_to` must name destinations its org configured:
/// found at start, not when the first `!clip` fails to go out.
fn check_recordings(recordings: &[Recording], targets: &ConfiguredTargets) -> anyhow::Result<()> {
    for recording in recordings {
        for platform in &recording.publish_to {
            targets.check(&recording.org, *platform).map_err(|refused| {
                anyhow::anyhow!(
                    "the recording of `{}` in org `{}` publishes to {platform}: {refused}",
                    recording.channel,
                    recording.org
                )
            })?;
        }
    }
    Ok(())
}

async fn bind(addr: std::net::SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("binding the {what} to {addr}"))
}

/// The read models, once the relay has created the topics they read; each
/// projection is supervised on its own, so one failing does not stall the
/// others.
async fn run_projections(
    pool: sqlx::PgPool,
    kafka: wavestack_adapters::kafka::KafkaConfig,
    schema_ids: wavestack_schemas::SchemaIds,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let topics: Vec<String> = wavestack_schemas::AggregateKind::ALL.iter().map(|k| k.topic()).collect();
    wavestack_adapters::kafka::ensure_topics(&kafka, &topics).await?;
    use wavestack_projections::supervise;
    tokio::try_join!(
        supervise(pool.clone(), kafka.clone(), schema_ids.clone(), Leaderboard, cancel.clone()),
        supervise(pool.clone(), kafka.clone(), schema_ids.clone(), Analytics, cancel.clone()),
        supervise(pool.clone(), kafka.clone(), schema_ids.clone(), Queue, cancel.clone()),
        supervise(pool, kafka, schema_ids, Audit, cancel),
    )?;
    Ok(())
}

/// Keys are remembered for a day; forget older ones every ten minutes.
async fn purge_idempotency_keys(store: IdempotencyStore, cancel: CancellationToken) -> anyhow::Result<()> {
    loop {
        match store.purge_expired().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired idempotency keys forgotten"),
            Err(error) => tracing::warn!(error = format!("{error:#}"), "could not purge idempotency keys"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
    }
}

/// The local broker listens on Kafka's usual port unless told otherwise.
fn local_broker_port() -> u16 {
    std::env::var("WAVESTACK_LOCAL_KAFKA_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(9092)
}
