//! Command-line and environment configuration. Every flag also reads an
//! environment variable, and (see `config_file`) a key of the TOML config
//! file; doc comments are the help text.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tracing_subscriber::EnvFilter;
use wavestack_adapters::auth::TokenSettings;
use wavestack_adapters::http::ServeLimits;
use wavestack_adapters::media::{ClipFiles, Ffmpeg, FileKey, QuotaLimits, RenderQuota, Renderer, SourcePolicy};
use wavestack_adapters::platform_auth::twitch::TwitchOAuth;
use wavestack_adapters::postgres::DEFAULT_DATABASE_URL;
use wavestack_adapters::publishers::{
    validate, DestinationConfig, DiscordPublisher, Publisher, WebhookPublisher, YoutubePublisher,
};
use wavestack_command_api::{Limits, LoadLimits, RateLimit, RateLimits, TokenLimits};
use wavestack_domain::value::TargetPlatform;
use wavestack_gateways::twitch::{Transport, Twitch, TwitchConfig};
use wavestack_workers::publisher::Platforms;

#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// Postgres connection URL; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// The tables' owner: when given, migrations run with it, and the
    /// role of `DATABASE_URL` (which must be another) is granted what the
    /// app needs and no more: on the event log, read and append only.
    #[arg(long, env = "WAVESTACK_MIGRATE_DATABASE_URL", hide_env_values = true)]
    pub migrate_database_url: Option<String>,
    /// Most Postgres connections this process opens.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 20)]
    pub database_max_connections: u32,
}

#[derive(Debug, Args, Clone)]
pub struct KafkaArgs {
    /// Partitions per topic when WaveStack creates its topics.
    #[arg(long, env = "KAFKA_PARTITIONS", default_value_t = 3)]
    pub partitions: i32,
    /// Replication factor when WaveStack creates its topics.
    #[arg(long, env = "KAFKA_REPLICATION_FACTOR", default_value_t = 1)]
    pub replication_factor: i32,
    /// Events per relay batch.
    #[arg(long, env = "RELAY_BATCH_SIZE", default_value_t = 5000)]
    pub relay_batch_size: i64,
    /// A Confluent-compatible schema registry to register the log's schemas
    /// in (its ids then go on the wire). Unset: the query API serves the
    /// schemas read-only with their catalog ids.
    #[arg(long, env = "SCHEMA_REGISTRY_URL")]
    pub schema_registry_url: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct KeyArgs {
    /// Directory of the token signing keys. Default: `<data-dir>/keys`.
    #[arg(long, env = "WAVESTACK_KEY_DIR")]
    pub key_dir: Option<PathBuf>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, env = "WAVESTACK_TOKEN_TTL_SECONDS", default_value_t = 900)]
    pub token_ttl_seconds: u64,
    /// `iss` of issued tokens; tokens with another are refused.
    #[arg(long, env = "WAVESTACK_TOKEN_ISSUER", default_value = "wavestack")]
    pub token_issuer: String,
    /// `aud` of issued tokens; tokens with another are refused.
    #[arg(long, env = "WAVESTACK_TOKEN_AUDIENCE", default_value = "wavestack")]
    pub token_audience: String,
    /// Where local state lives: the local broker's log, the signing keys.
    #[arg(long, env = "WAVESTACK_DATA_DIR", default_value = ".wavestack")]
    pub data_dir: PathBuf,
}

impl KeyArgs {
    pub fn key_dir(&self) -> PathBuf {
        self.key_dir.clone().unwrap_or_else(|| self.data_dir.join("keys"))
    }

    pub fn token_settings(&self) -> TokenSettings {
        TokenSettings {
            issuer: self.token_issuer.clone(),
            audience: self.token_audience.clone(),
            ttl: Duration::from_secs(self.token_ttl_seconds),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// Address the command API listens on.
    #[arg(long, env = "WAVESTACK_COMMAND_API_ADDR", default_value = "127.0.0.1:8080")]
    pub command_api_addr: SocketAddr,
    /// Address the query API (and schema registry endpoints) listens on.
    #[arg(long, env = "WAVESTACK_QUERY_API_ADDR", default_value = "127.0.0.1:8081")]
    pub query_api_addr: SocketAddr,
    /// Mark dashboard session cookies `Secure` even without
    /// `X-Forwarded-Proto: https` (set it when TLS ends in front).
    #[arg(long, env = "WAVESTACK_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Largest request body in bytes; larger is refused with 413.
    #[arg(long, env = "WAVESTACK_BODY_LIMIT_BYTES", default_value_t = 1024 * 1024)]
    pub body_limit_bytes: usize,
    /// Most chat messages in one batch; more is refused with 413.
    #[arg(long, env = "WAVESTACK_BATCH_LIMIT", default_value_t = 500)]
    pub batch_limit: usize,
    /// Sustained messages per second per caller (org and token subject): a
    /// request counts one, a chat batch one per message. Both APIs.
    #[arg(long, env = "WAVESTACK_RATE_LIMIT_PER_SECOND", default_value_t = 1000)]
    pub rate_limit_per_second: u32,
    /// Messages a caller may send at once after being idle (a chat batch
    /// must fit).
    #[arg(long, env = "WAVESTACK_RATE_LIMIT_BURST", default_value_t = 2000)]
    pub rate_limit_burst: u32,
    /// Sustained messages per second of all of an org's callers together.
    #[arg(long, env = "WAVESTACK_ORG_RATE_LIMIT_PER_SECOND", default_value_t = 2000)]
    pub org_rate_limit_per_second: u32,
    /// Messages an org's callers may send at once after being idle.
    #[arg(long, env = "WAVESTACK_ORG_RATE_LIMIT_BURST", default_value_t = 4000)]
    pub org_rate_limit_burst: u32,
    /// Read-your-writes waits one caller may have in progress at once;
    /// more are refused with 429 `too_many_waits`.
    #[arg(long, env = "WAVESTACK_MAX_WAITS_PER_CALLER", default_value_t = 64)]
    pub max_waits_per_caller: usize,
    /// Requests handled at once per API; more are answered 503 at once.
    #[arg(long, env = "WAVESTACK_MAX_IN_FLIGHT", default_value_t = 1024)]
    pub max_in_flight: usize,
    /// Longest a request may take, in seconds (read-your-writes waits are
    /// at most 30 s).
    #[arg(long, env = "WAVESTACK_REQUEST_TIMEOUT_SECONDS", default_value_t = 45)]
    pub request_timeout_seconds: u64,
    /// A connection must send a whole request head within this many
    /// seconds.
    #[arg(long, env = "WAVESTACK_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,
    /// Token requests per second per source address (before any secret is
    /// checked).
    #[arg(long, env = "WAVESTACK_TOKEN_RATE_PER_ADDRESS", default_value_t = 5)]
    pub token_rate_per_address: u32,
    /// Token requests per second from everyone together.
    #[arg(long, env = "WAVESTACK_TOKEN_RATE_GLOBAL", default_value_t = 50)]
    pub token_rate_global: u32,
}

impl ApiArgs {
    pub fn limits(&self) -> Limits {
        Limits { body_bytes: self.body_limit_bytes, batch_messages: self.batch_limit }
    }

    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            per_caller: RateLimit::new(self.rate_limit_per_second, self.rate_limit_burst),
            per_org: RateLimit::new(self.org_rate_limit_per_second, self.org_rate_limit_burst),
        }
    }

    pub fn load_limits(&self) -> LoadLimits {
        LoadLimits {
            max_in_flight: self.max_in_flight,
            request_timeout: Duration::from_secs(self.request_timeout_seconds),
        }
    }

    pub fn serve_limits(&self) -> ServeLimits {
        ServeLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds.max(1)),
            ..ServeLimits::default()
        }
    }

    pub fn token_limits(&self) -> TokenLimits {
        TokenLimits {
            per_address: RateLimit::new(self.token_rate_per_address, self.token_rate_per_address.saturating_mul(4)),
            global: RateLimit::new(self.token_rate_global, self.token_rate_global.saturating_mul(2)),
            ..TokenLimits::default()
        }
    }
}

/// The clip renderer: where sources come from and clips go.
#[derive(Debug, Args, Clone)]
pub struct MediaArgs {
    /// Directory clip sources are read from; a request's path is relative
    /// to it and may not leave it. Default: `<data-dir>/media`.
    #[arg(long, env = "WAVESTACK_MEDIA_ROOT")]
    pub media_root: Option<PathBuf>,
    /// Directory rendered clips and thumbnails are written to; the query
    /// API serves it under `/files`. Default: `<data-dir>/clips`.
    #[arg(long, env = "WAVESTACK_CLIPS_DIR")]
    pub clips_dir: Option<PathBuf>,
    /// Public URL of the clips directory. Default: the query API's `/files`.
    #[arg(long, env = "WAVESTACK_CLIPS_PUBLIC_URL")]
    pub clips_public_url: Option<String>,
    /// Hosts that http(s) clip sources may come from, comma-separated.
    #[arg(long, env = "WAVESTACK_SOURCE_HOSTS", value_delimiter = ',')]
    pub source_hosts: Vec<String>,
    /// ffmpeg runs at once in this process.
    #[arg(long, env = "WAVESTACK_RENDER_JOBS", default_value_t = 2)]
    pub render_jobs: usize,
    /// Longest one ffmpeg or ffprobe run may take, in seconds.
    #[arg(long, env = "WAVESTACK_RENDER_TIMEOUT_SECONDS", default_value_t = 300)]
    pub render_timeout_seconds: u64,
    /// The key that names clip files (an HMAC of org and clip id, so that
    /// `/files` URLs cannot be guessed); created on first start. Every
    /// renderer of a deployment needs the same one. Default:
    /// `<data-dir>/keys/files.key`.
    #[arg(long, env = "WAVESTACK_FILES_KEY")]
    pub files_key: Option<PathBuf>,
    /// Clips one org may have waiting or rendering at once; more are
    /// refused (429 `render_quota_exceeded`).
    #[arg(long, env = "WAVESTACK_ORG_RENDER_CLIPS", default_value_t = 20)]
    pub org_render_clips: u32,
    /// Seconds of clips one org may have waiting or rendering at once.
    #[arg(long, env = "WAVESTACK_ORG_RENDER_QUEUE_SECONDS", default_value_t = 3600)]
    pub org_render_queue_seconds: u64,
    /// Days a rendered clip is kept; then its files are deleted and the
    /// deletion recorded (`ClipDeleted`). 0 keeps clips forever.
    #[arg(long, env = "WAVESTACK_CLIP_RETENTION_DAYS", default_value_t = 30)]
    pub clip_retention_days: u64,
}

impl MediaArgs {
    pub fn media_root(&self, data_dir: &Path) -> PathBuf {
        self.media_root.clone().unwrap_or_else(|| data_dir.join("media"))
    }

    pub fn render_quota(&self, pool: &sqlx::PgPool) -> RenderQuota {
        let limits = QuotaLimits {
            max_clips: self.org_render_clips,
            max_queued: Duration::from_secs(self.org_render_queue_seconds),
            ..QuotaLimits::default()
        };
        RenderQuota::new(pool.clone(), limits)
    }

    pub fn clips_dir(&self, data_dir: &Path) -> PathBuf {
        self.clips_dir.clone().unwrap_or_else(|| data_dir.join("clips"))
    }

    /// Creates the directories if needed.
    pub fn renderer(&self, data_dir: &Path, query_api_addr: SocketAddr) -> anyhow::Result<Renderer> {
        let media_root = self.media_root(data_dir);
        std::fs::create_dir_all(&media_root).with_context(|| format!("creating {}", media_root.display()))?;
        let policy = SourcePolicy::new(&media_root, self.source_hosts.iter().cloned())
            .with_context(|| format!("opening the media root {}", media_root.display()))?;
        let clips_dir = self.clips_dir(data_dir);
        let key_path = self.files_key.clone().unwrap_or_else(|| data_dir.join("keys").join("files.key"));
        let key = FileKey::open_or_create(&key_path)?;
        let files = ClipFiles::new(&clips_dir, key)
            .with_context(|| format!("opening the clips directory {}", clips_dir.display()))?;
        let public_base = self
            .clips_public_url
            .clone()
            .unwrap_or_else(|| format!("http://{query_api_addr}/files"))
            .trim_end_matches('/')
            .to_owned();
        let ffmpeg = Ffmpeg { timeout: Duration::from_secs(self.render_timeout_seconds), ..Ffmpeg::default() };
        Ok(Renderer { policy, ffmpeg, files, public_base })
    }
}

/// The publisher. Where each org publishes is its `[[destinations]]` in
/// the config file: no destination belongs to the whole deployment.
#[derive(Debug, Args, Clone)]
pub struct PublishArgs {
    /// YouTube Data API base URL, for youtube destinations that name none.
    #[arg(long, env = "WAVESTACK_YOUTUBE_API_URL", default_value = "https://www.googleapis.com")]
    pub youtube_api_url: reqwest::Url,
    /// Publish attempts in flight at once per process.
    #[arg(long, env = "WAVESTACK_PUBLISH_CONCURRENCY", default_value_t = 4)]
    pub publish_concurrency: usize,
}

impl PublishArgs {
    /// Each org's adapters. Upload sessions of resumable uploads are kept
    /// in `pool`.
    pub fn platforms(&self, destinations: &[DestinationConfig], pool: &sqlx::PgPool) -> anyhow::Result<Platforms> {
        validate(destinations)?;
        let mut platforms = Platforms::default();
        for d in destinations {
            let context = || format!("the {} destination of org `{}`", d.platform, d.org);
            let adapter: Arc<dyn Publisher> = match d.platform {
                TargetPlatform::Webhook => {
                    let (url, secret) = (d.url.clone().expect("validated"), d.secret.clone().expect("validated"));
                    Arc::new(WebhookPublisher::new(url, secret, Duration::from_secs(30)).with_context(context)?)
                }
                TargetPlatform::Discord => Arc::new(
                    DiscordPublisher::new(d.url.clone().expect("validated"), Duration::from_secs(120))
                        .with_context(context)?,
                ),
                TargetPlatform::Youtube => {
                    let base = d.api_url.clone().unwrap_or_else(|| self.youtube_api_url.clone());
                    let token = d.access_token.clone().expect("validated");
                    Arc::new(YoutubePublisher::new(base, token, pool.clone()).with_context(context)?)
                }
                other => anyhow::bail!("publishing to {other} is not supported"),
            };
            platforms = platforms.with(d.org.clone(), adapter, d.per_minute(), d.secrets());
            tracing::info!(org = %d.org, platform = %d.platform, "publishing destination configured");
        }
        Ok(platforms)
    }
}

#[derive(Debug, Args, Clone)]
pub struct UpArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub media: MediaArgs,
    #[command(flatten)]
    pub publish: PublishArgs,
    #[command(flatten)]
    pub audit: AuditArgs,
    #[command(flatten)]
    pub twitch: TwitchArgs,
    /// Kafka bootstrap servers. Unset: a local broker is started with its
    /// log under the data directory, and stopped on exit.
    #[arg(long, env = "KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// The local broker's port (when KAFKA_BROKERS is unset); 0 picks a
    /// free one.
    #[arg(long, env = "WAVESTACK_LOCAL_KAFKA_PORT", default_value_t = 9092)]
    pub local_kafka_port: u16,
}

/// Twitch: the application registered at dev.twitch.tv/console that
/// streamers connect their channels to (see "Connecting Twitch" in
/// docs/streamers.md). Without a client id, no Twitch channel is run.
#[derive(Debug, Args, Clone)]
pub struct TwitchArgs {
    /// The registered application's client id.
    #[arg(long, env = "WAVESTACK_TWITCH_CLIENT_ID")]
    pub twitch_client_id: Option<String>,
    /// The application's client secret.
    #[arg(long, env = "WAVESTACK_TWITCH_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub twitch_client_secret: Option<wavestack_gateways::Secret>,
    /// Where Twitch sends the streamer back: this deployment's query API
    /// as browsers reach it, then `/app/connections/twitch/callback`;
    /// registered with the application as its OAuth redirect URL.
    /// Default: the query API's local address.
    #[arg(long, env = "WAVESTACK_TWITCH_REDIRECT_URL")]
    pub twitch_redirect_url: Option<reqwest::Url>,
    /// Twitch's id server (tests point it at a local fake).
    #[arg(long, env = "WAVESTACK_TWITCH_ID_URL", default_value = "https://id.twitch.tv/oauth2/")]
    pub twitch_id_url: reqwest::Url,
    /// The Twitch API (Helix).
    #[arg(long, env = "WAVESTACK_TWITCH_HELIX_URL", default_value = "https://api.twitch.tv/helix/")]
    pub twitch_helix_url: reqwest::Url,
    /// The EventSub WebSocket server.
    #[arg(long, env = "WAVESTACK_TWITCH_EVENTSUB_URL", default_value = "wss://eventsub.wss.twitch.tv/ws")]
    pub twitch_eventsub_url: reqwest::Url,
    /// Hear Twitch over EventSub's webhook transport: the URL Twitch posts
    /// to, that is the command API as Twitch reaches it (https, port 443),
    /// then `/webhooks/twitch/eventsub`. Unset: the WebSocket transport,
    /// which needs nothing reachable from the internet.
    #[arg(long, env = "WAVESTACK_TWITCH_WEBHOOK_URL", conflicts_with = "twitch_conduit_shards")]
    pub twitch_webhook_url: Option<reqwest::Url>,
    /// Hear Twitch over a conduit of this many WebSocket shards (1 to
    /// 20,000), spread over the running processes: for many channels and
    /// many processes, with nothing reachable from the internet. Unset:
    /// a WebSocket session per channel.
    #[arg(long, env = "WAVESTACK_TWITCH_CONDUIT_SHARDS", value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub twitch_conduit_shards: Option<u32>,
}

fn secret(raw: &str) -> Result<wavestack_gateways::Secret, String> {
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(wavestack_gateways::Secret::new(raw))
}

impl TwitchArgs {
    /// The OAuth client, when an application is configured.
    pub fn oauth(&self, query_api: SocketAddr) -> anyhow::Result<Option<TwitchOAuth>> {
        let Some(client_id) = self.twitch_client_id.clone() else { return Ok(None) };
        let secret = self
            .twitch_client_secret
            .as_ref()
            .context("--twitch-client-id needs --twitch-client-secret (WAVESTACK_TWITCH_CLIENT_SECRET)")?;
        let redirect = match &self.twitch_redirect_url {
            Some(url) => url.clone(),
            None => reqwest::Url::parse(&format!("http://{query_api}/app/connections/twitch/callback"))?,
        };
        Ok(Some(TwitchOAuth::new(self.twitch_id_url.clone(), client_id, secret.expose().to_owned(), redirect)))
    }

    /// The gateway over the WebSocket transport (what saying a test
    /// message needs), when an application is configured.
    pub fn gateway(&self) -> Option<Twitch> {
        self.gateway_over(Transport::WebSocket)
    }

    pub fn gateway_over(&self, transport: Transport) -> Option<Twitch> {
        let client_id = self.twitch_client_id.clone()?;
        Some(Twitch::new(TwitchConfig {
            eventsub_url: self.twitch_eventsub_url.clone(),
            helix_url: self.twitch_helix_url.clone(),
            client_id,
            keepalive_seconds: 10,
            transport,
        }))
    }
}

/// Signed audit checkpoints (see "Auditing the log" in docs/analysts-and-auditors.md).
#[derive(Debug, Args, Clone)]
pub struct AuditArgs {
    /// The Ed25519 signing key of the checkpointer: a file holding the
    /// 32-byte seed as 64 hex digits (`wavestack audit keygen` writes one).
    /// Keep it outside the database and its backups. Unset: no
    /// checkpoints are signed.
    #[arg(long, env = "WAVESTACK_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,
    /// How often the checkpointer signs the chain heads that moved.
    #[arg(long, env = "WAVESTACK_CHECKPOINT_INTERVAL_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_interval_seconds: u64,
}

impl AuditArgs {
    /// The checkpointer's key, read from its file; `None` when unset.
    pub fn signing_key(&self) -> anyhow::Result<Option<ed25519_dalek::SigningKey>> {
        let Some(path) = &self.audit_key_file else { return Ok(None) };
        let raw =
            std::fs::read_to_string(path).with_context(|| format!("reading the audit key file {}", path.display()))?;
        let key = wavestack_schemas::audit::checkpoint::signing_key_from_hex(&raw).with_context(|| {
            format!("the audit key file {} does not hold a 32-byte seed as 64 hex digits", path.display())
        })?;
        Ok(Some(key))
    }
}

#[derive(Debug, Args, Clone)]
pub struct RelayArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Kafka bootstrap servers.
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub kafka_brokers: String,
}

/// `wavestack render`: one more clip renderer for a running stack.
#[derive(Debug, Args, Clone)]
pub struct RenderArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub media: MediaArgs,
    /// Kafka bootstrap servers (the local broker of `wavestack up` listens on 127.0.0.1:9092).
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub kafka_brokers: String,
    /// Where `wavestack up` keeps its state (for the default media and clips directories).
    #[arg(long, env = "WAVESTACK_DATA_DIR", default_value = ".wavestack")]
    pub data_dir: PathBuf,
    /// The query API's address (for the default public URL of clips).
    #[arg(long, env = "WAVESTACK_QUERY_API_ADDR", default_value = "127.0.0.1:8081")]
    pub query_api_addr: SocketAddr,
}

/// Logs go to stderr; `RUST_LOG` filters (default `info`).
/// `WAVESTACK_LOG_FORMAT=json` gives one JSON object per line (the default
/// when stderr is not a terminal), `text` the human form.
pub fn init_logging() {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let json = match std::env::var("WAVESTACK_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    if json {
        builder.json().with_current_span(true).with_span_list(false).init();
    } else {
        builder.init();
    }
}

/// `wavestack status`: what the pipeline of a running stack is behind on.
#[derive(Debug, Args, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Kafka bootstrap servers (the local broker of `wavestack up` listens on 127.0.0.1:9092).
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub kafka_brokers: String,
    /// Print JSON (the same fields `/ready` answers with) instead of a table.
    #[arg(long)]
    pub json: bool,
}
