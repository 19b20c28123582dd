//! The whole of WaveStack in one process, assembled in one place:
//! migrations, the local broker (unless brokers are given), topics, the
//! outbox relay, both APIs, the projections, the workers and the pipeline's
//! status. `wavestack up` is argument parsing plus `Stack::build` and
//! `run`; the end-to-end tests build it in-process on port 0.
//!
//! One command bus serves the command API and every worker: one set of
//! stream locks and one state cache per process, so that two writers in
//! the same process never race each other on a stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::auth::{ClientRegistry, KeyStore, Tokens};
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::http::HealthMonitor;
use wavestack_adapters::http::{metrics_handle, serve_with};
use wavestack_adapters::idempotency::IdempotencyStore;
use wavestack_adapters::kafka::{BrokerProcess, LocalBroker, LocalBrokerStorage, WatchedBroker};
use wavestack_adapters::platform_auth::state::StateSigner;
use wavestack_adapters::platform_connections::PlatformConnections;
use wavestack_adapters::platform_inbox::{Doorbells, PlatformInbox};
use wavestack_adapters::publishers::ConfiguredTargets;
use wavestack_adapters::writer::Writer;
use wavestack_command_api::{AppState, Readiness, Tenancy};
use wavestack_gateways::twitch::webhook::WebhookVerifier;
use wavestack_gateways::twitch::{
    callback_router, AppToken, ConduitTransport, Transport, TwitchRole, WebhookTransport,
};
use wavestack_gateways::Secret;
use wavestack_query_api::{ConnectionsConfig, LiveHub, PagesConfig, QueryConfig};
use wavestack_workers::chat_clips::Recording;

use wavestack_workers::run_until_stopped as workers;

use crate::commands::{connect_and_migrate, kafka_config, schema_ids};
use crate::config::UpArgs;
use crate::settings::Settings;

/// A running stack. Everything it spawned stops when `cancel` fires (or a
/// component fails); `run` waits for that.
#[derive(Debug)]
pub struct Stack {
    command_api: SocketAddr,
    query_api: SocketAddr,
    brokers: String,
    cancel: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
    pool: sqlx::PgPool,
    /// Held until the stack ends: dropping it stops the local broker.
    local_broker: Option<WatchedBroker>,
}

type Task = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

impl Stack {
    /// Binds both APIs (port 0 picks a free one), starts the local broker
    /// if no brokers are configured, and starts every component.
    pub async fn build(settings: Settings, cancel: CancellationToken) -> anyhow::Result<Self> {
        let Settings { up: args, file } = settings;
        metrics_handle();
        let pool = connect_and_migrate(&args.database).await?;
        let command_listener = bind(args.api.command_api_addr, "command API").await?;
        let query_listener = bind(args.api.query_api_addr, "query API").await?;
        let (command_api, query_api) = (command_listener.local_addr()?, query_listener.local_addr()?);

        let (local_broker, brokers) = match &args.kafka_brokers {
            Some(brokers) => (None, brokers.clone()),
            None => {
                let broker = start_local_broker(&args).await?;
                let bootstrap = broker.bootstrap().to_owned();
                (Some(broker), bootstrap)
            }
        };
        let kafka = kafka_config(&brokers, &args.kafka);
        let schema_ids = schema_ids(&args.kafka).await?;

        let key_dir = args.keys.key_dir();
        let keys = tokio::task::spawn_blocking(move || KeyStore::open(key_dir)).await??;
        let tokens = Arc::new(Tokens::new(Arc::new(keys), args.keys.token_settings()));
        // Clip URLs name the query API's real address (port 0 resolved).
        let renderer = args.media.renderer(args.keys.data_dir(), query_api)?;
        let clips = (renderer.public_base.clone(), renderer.files.dir().to_owned());
        let platforms = args.publish.platforms(&file.destinations, &pool)?;
        let quota = args.media.render_quota(&pool);
        let targets = ConfiguredTargets::new(&file.destinations);
        check_recordings(&file.recordings, &targets)?;
        let clients = ClientRegistry::from_config(&file.clients).context("service clients in the config file")?;
        if clients.is_empty() {
            tracing::warn!(
                "no service clients configured: POST /v1/auth/token refuses everyone; `wavestack token issue` still works"
            );
        }
        let audit_key = args.audit.signing_key()?;
        // Every event this process writes names its lease, so that the
        // settlers leave its half-done moves to it while it runs.
        let writer = Writer::lease(&pool, cancel.clone()).await?;
        let bus = Arc::new(CommandBus::with_writer(pool.clone(), Policies::default(), writer));
        let tenancy = Tenancy {
            targets,
            sources: Some(renderer.policy.clone()),
            clips_public_base: Some(renderer.public_base.clone()),
            render_quota: Some(quota.clone()),
        };
        // One monitor for both APIs' `/ready`, kept current in the background.
        let health = HealthMonitor::new(&pool, Some(kafka.clone()));
        let command_state = AppState::new(
            pool.clone(),
            bus.clone(),
            tokens.clone(),
            Arc::new(clients),
            args.api.limits(),
            args.api.rate_limits(),
        )?
        .with_tenancy(tenancy)
        .with_load_limits(args.api.load_limits())
        .with_token_limits(args.api.token_limits())
        .with_readiness(Readiness::watching(health.clone(), false));
        let idempotency = command_state.idempotency.clone();
        // One application layer for the API and the gateways: one set of caches.
        let app = command_state.app.clone();
        let platform_secret = command_state.tokens.keys().secret("platform-tokens")?;
        let platform_connections = PlatformConnections::new(pool.clone(), &platform_secret);
        let twitch_oauth = args.twitch.oauth(query_api)?;
        let connections = ConnectionsConfig {
            app: app.clone(),
            store: platform_connections.clone(),
            states: StateSigner::new(&platform_secret),
            twitch: twitch_oauth.clone(),
            twitch_gateway: args.twitch.gateway(),
            test_messages: Default::default(),
        };
        // Over webhooks, Twitch may post to any process: each takes
        // deliveries at the command API, for whichever process holds the
        // channel. Processes of a deployment share the webhook secret
        // through the key directory, as they share every other. Over a
        // conduit, the processes share its shards.
        let (transport, webhook_callback) = match (&args.twitch.twitch_webhook_url, &twitch_oauth) {
            (Some(callback), Some(oauth)) => {
                let secret = Secret::new(hex::encode(command_state.tokens.keys().secret("twitch-webhook")?));
                let inbox = PlatformInbox::new(pool.clone());
                let verifier = WebhookVerifier::new(secret.clone()).map_err(anyhow::Error::msg)?;
                let transport = Transport::Webhook(WebhookTransport {
                    callback: callback.clone(),
                    secret,
                    app_token: Arc::new(AppToken::new(oauth.clone())),
                    inbox: inbox.clone(),
                    doorbells: Doorbells::default(),
                });
                (transport, Some(callback_router(verifier, inbox)))
            }
            (Some(_), None) => {
                tracing::warn!("--twitch-webhook-url is set without a Twitch application; it is ignored");
                (Transport::WebSocket, None)
            }
            (None, oauth) => match (args.twitch.twitch_conduit_shards, oauth) {
                (Some(shards), Some(oauth)) => {
                    let app_token = Arc::new(AppToken::new(oauth.clone()));
                    let inbox = PlatformInbox::new(pool.clone());
                    (Transport::Conduit(ConduitTransport::new(shards, app_token, inbox, Doorbells::default())), None)
                }
                _ => (Transport::WebSocket, None),
            },
        };
        let twitch_role = match (twitch_oauth, args.twitch.gateway_over(transport)) {
            (Some(oauth), Some(twitch)) => {
                Some(TwitchRole { app, connections: platform_connections, oauth, twitch, pool: pool.clone() })
            }
            _ => {
                tracing::info!("no Twitch application configured (--twitch-client-id): no Twitch channel is run");
                None
            }
        };
        let live = LiveHub::new();
        let query_config = QueryConfig {
            serve_registry: args.kafka.schema_registry_url.is_none(),
            files_dir: Some(renderer.files.dir().to_owned()),
            rate_limits: args.api.rate_limits(),
            load: args.api.load_limits(),
            max_waits_per_caller: args.api.max_waits_per_caller,
            readiness: Some(Readiness::watching(health.clone(), true)),
            pages: PagesConfig {
                command_api: Some(local_url(command_api)?),
                secure_cookies: args.api.secure_cookies,
                connections: Some(connections),
                ..PagesConfig::default()
            },
            ..QueryConfig::new(pool.clone(), tokens, live.clone())
        };

        let serve_limits = args.api.serve_limits();
        let c = &cancel;
        let components: Vec<Task> = vec![
            Box::pin(serve_with(
                command_listener,
                wavestack_command_api::router_with(command_state, webhook_callback.unwrap_or_default()),
                serve_limits,
                c.clone(),
            )),
            Box::pin(serve_with(query_listener, wavestack_query_api::router(query_config), serve_limits, c.clone())),
            Box::pin(wavestack_adapters::relay::run_until_stopped(
                pool.clone(),
                kafka.clone(),
                args.kafka.relay_batch_size,
                schema_ids.clone(),
                c.clone(),
            )),
            Box::pin(wavestack_projections::run_until_stopped(
                pool.clone(),
                kafka.clone(),
                schema_ids.clone(),
                c.clone(),
            )),
            Box::pin(live.listen(pool.clone(), c.clone())),
            Box::pin(workers::retention(
                pool.clone(),
                bus.clone(),
                renderer.files.clone(),
                args.media.clip_retention_days,
                c.clone(),
            )),
            Box::pin(workers::renderer(
                pool.clone(),
                bus.clone(),
                kafka.clone(),
                schema_ids.clone(),
                renderer,
                args.media.render_jobs,
                quota.clone(),
                c.clone(),
            )),
            Box::pin(workers::chat_clipper(
                pool.clone(),
                bus.clone(),
                kafka.clone(),
                schema_ids.clone(),
                file.recordings.clone(),
                quota,
                c.clone(),
            )),
            Box::pin(workers::points_settler(pool.clone(), bus.clone(), kafka.clone(), schema_ids.clone(), c.clone())),
            Box::pin(workers::community_settler(
                pool.clone(),
                bus.clone(),
                kafka.clone(),
                schema_ids.clone(),
                c.clone(),
            )),
            Box::pin(workers::asset_ready(pool.clone(), bus.clone(), kafka.clone(), schema_ids, c.clone())),
            Box::pin(workers::publisher(
                pool.clone(),
                bus,
                kafka.clone(),
                platforms,
                args.publish.publish_concurrency,
                clips,
                c.clone(),
            )),
            Box::pin(workers::checkpointer(
                pool.clone(),
                kafka.clone(),
                audit_key,
                Duration::from_secs(args.audit.checkpoint_interval_seconds),
                c.clone(),
            )),
            Box::pin(health.keep_current(Duration::from_secs(1), c.clone())),
            Box::pin(purge_idempotency_keys(idempotency, c.clone())),
        ];
        let mut components = components;
        if let Some(role) = twitch_role {
            components.push(Box::pin(role.run(c.clone())));
        }
        let mut tasks = JoinSet::new();
        for component in components {
            tasks.spawn(component);
        }
        tracing::info!(%command_api, %query_api, %brokers, "WaveStack is up");
        Ok(Self { command_api, query_api, brokers, cancel, tasks, pool, local_broker })
    }

    pub fn command_api(&self) -> SocketAddr {
        self.command_api
    }

    pub fn query_api(&self) -> SocketAddr {
        self.query_api
    }

    /// `bootstrap.servers` of the broker the stack uses.
    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    /// The local broker's process, while the stack runs one.
    pub fn local_broker(&self) -> Option<BrokerProcess> {
        self.local_broker.as_ref().map(WatchedBroker::process)
    }

    /// Runs until the cancel token fires or a component fails; then stops
    /// every component (the APIs finish their in-flight requests, the relay
    /// its batch) and the local broker.
    pub async fn run(mut self) -> anyhow::Result<()> {
        // The first task to end (normally all of them, on cancel) takes the
        // others down with it.
        let mut outcome = Ok(());
        while let Some(done) = self.tasks.join_next().await {
            let result = done.context("a task panicked").and_then(|r| r);
            if let Err(error) = result {
                tracing::error!(error = format!("{error:#}"), "a component failed; shutting down");
                if outcome.is_ok() {
                    outcome = Err(error);
                }
            }
            self.cancel.cancel();
        }
        self.pool.close().await;
        drop(self.local_broker.take());
        tracing::info!("stopped");
        outcome
    }
}

async fn start_local_broker(args: &UpArgs) -> anyhow::Result<WatchedBroker> {
    let dir = std::path::absolute(args.keys.data_dir().join("kafka")).context("resolving the data directory")?;
    let port = args.local_kafka_port;
    let broker = tokio::task::spawn_blocking(move || {
        let storage = LocalBrokerStorage::Sqlite(dir);
        if port == 0 {
            LocalBroker::start(storage)
        } else {
            LocalBroker::start_on(port, storage)
        }
    })
    .await??;
    tracing::info!(bootstrap = %broker.bootstrap(), data_dir = ?broker.data_dir(), "local Kafka broker started");
    Ok(broker.watched())
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

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| format!("binding the {what} to {addr}"))
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

/// The URL this process reaches one of its own listeners at (an
/// unspecified address, `0.0.0.0`, is reached on loopback).
fn local_url(addr: std::net::SocketAddr) -> anyhow::Result<url::Url> {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    let addr = std::net::SocketAddr::new(ip, addr.port());
    url::Url::parse(&format!("http://{addr}/")).context("the command API's own URL")
}
