//! Command-line and environment configuration. Every flag also reads an
//! environment variable, and (see `config_file`) a key of the TOML config
//! file; doc comments are the help text.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tracing_subscriber::EnvFilter;
use wavestack_adapters::auth::TokenSettings;
use wavestack_adapters::media::{ClipFiles, Ffmpeg, Renderer, SourcePolicy};
use wavestack_adapters::postgres::DEFAULT_DATABASE_URL;
use wavestack_adapters::publishers::{DiscordPublisher, WebhookPublisher, YoutubePublisher};
use wavestack_command_api::{Limits, RateLimit};
use wavestack_workers::publisher::Platforms;

#[derive(Args, Clone)]
pub struct DatabaseArgs {
    /// Postgres connection URL; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Most Postgres connections this process opens.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 20)]
    pub database_max_connections: u32,
}

#[derive(Args, Clone)]
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

#[derive(Args, Clone)]
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

#[derive(Args, Clone)]
pub struct ApiArgs {
    /// Address the command API listens on.
    #[arg(long, env = "WAVESTACK_COMMAND_API_ADDR", default_value = "127.0.0.1:8080")]
    pub command_api_addr: SocketAddr,
    /// Address the query API (and schema registry endpoints) listens on.
    #[arg(long, env = "WAVESTACK_QUERY_API_ADDR", default_value = "127.0.0.1:8081")]
    pub query_api_addr: SocketAddr,
    /// Largest request body in bytes; larger is refused with 413.
    #[arg(long, env = "WAVESTACK_BODY_LIMIT_BYTES", default_value_t = 1024 * 1024)]
    pub body_limit_bytes: usize,
    /// Most chat messages in one batch; more is refused with 413.
    #[arg(long, env = "WAVESTACK_BATCH_LIMIT", default_value_t = 500)]
    pub batch_limit: usize,
    /// Sustained requests per second per caller (org and token subject).
    #[arg(long, env = "WAVESTACK_RATE_LIMIT_PER_SECOND", default_value_t = NonZeroU32::new(200).unwrap())]
    pub rate_limit_per_second: NonZeroU32,
    /// Requests a caller may send at once after being idle.
    #[arg(long, env = "WAVESTACK_RATE_LIMIT_BURST", default_value_t = NonZeroU32::new(400).unwrap())]
    pub rate_limit_burst: NonZeroU32,
}

impl ApiArgs {
    pub fn limits(&self) -> Limits {
        Limits { body_bytes: self.body_limit_bytes, batch_messages: self.batch_limit }
    }

    pub fn rate_limit(&self) -> RateLimit {
        RateLimit { per_second: self.rate_limit_per_second, burst: self.rate_limit_burst }
    }
}

/// The clip renderer: where sources come from and clips go.
#[derive(Args, Clone)]
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
}

impl MediaArgs {
    pub fn media_root(&self, data_dir: &Path) -> PathBuf {
        self.media_root.clone().unwrap_or_else(|| data_dir.join("media"))
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
        let files = ClipFiles::new(&clips_dir)
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

/// The publisher: where publications go out to.
#[derive(Args, Clone)]
pub struct PublishArgs {
    /// URL the generic webhook target POSTs publications to (signed with
    /// `--webhook-secret`). Unset: the webhook target refuses, as platforms
    /// without an adapter do.
    #[arg(long, env = "WAVESTACK_WEBHOOK_URL")]
    pub webhook_url: Option<reqwest::Url>,
    /// HMAC-SHA256 key of the webhook signature.
    #[arg(long, env = "WAVESTACK_WEBHOOK_SECRET", default_value = "")]
    pub webhook_secret: String,
    /// Most webhook publishes per minute.
    #[arg(long, env = "WAVESTACK_WEBHOOK_PER_MINUTE", default_value_t = NonZeroU32::new(60).unwrap())]
    pub webhook_per_minute: NonZeroU32,
    /// Discord channel webhook (`https://discord.com/api/webhooks/<id>/<token>`)
    /// the discord target posts clips to. Unset: the discord target refuses.
    #[arg(long, env = "WAVESTACK_DISCORD_WEBHOOK_URL")]
    pub discord_webhook_url: Option<reqwest::Url>,
    /// Most Discord posts per minute (Discord allows about 30 per webhook).
    #[arg(long, env = "WAVESTACK_DISCORD_PER_MINUTE", default_value_t = NonZeroU32::new(30).unwrap())]
    pub discord_per_minute: NonZeroU32,
    /// OAuth 2.0 access token (scope `youtube.upload`) of the channel the
    /// youtube target uploads to. Unset: the youtube target refuses.
    #[arg(long, env = "WAVESTACK_YOUTUBE_ACCESS_TOKEN")]
    pub youtube_access_token: Option<String>,
    /// YouTube Data API base URL.
    #[arg(long, env = "WAVESTACK_YOUTUBE_API_URL", default_value = "https://www.googleapis.com")]
    pub youtube_api_url: reqwest::Url,
    /// Most YouTube uploads per minute (each costs 1,600 of the API's
    /// default 10,000 daily quota units).
    #[arg(long, env = "WAVESTACK_YOUTUBE_PER_MINUTE", default_value_t = NonZeroU32::new(1).unwrap())]
    pub youtube_per_minute: NonZeroU32,
    /// Publish attempts in flight at once per process.
    #[arg(long, env = "WAVESTACK_PUBLISH_CONCURRENCY", default_value_t = 4)]
    pub publish_concurrency: usize,
}

impl PublishArgs {
    /// Upload sessions of resumable uploads are kept in `pool`.
    pub fn platforms(&self, pool: &sqlx::PgPool) -> anyhow::Result<Platforms> {
        let mut platforms = Platforms::default();
        if let Some(url) = &self.webhook_url {
            if self.webhook_secret.is_empty() {
                anyhow::bail!("--webhook-url needs --webhook-secret (WAVESTACK_WEBHOOK_SECRET) to sign with");
            }
            let webhook = WebhookPublisher::new(url.clone(), self.webhook_secret.as_bytes(), Duration::from_secs(30))?;
            platforms = platforms.with(std::sync::Arc::new(webhook), self.webhook_per_minute);
        }
        if let Some(url) = &self.discord_webhook_url {
            let discord = DiscordPublisher::new(url.clone(), Duration::from_secs(120))?;
            platforms = platforms.with(std::sync::Arc::new(discord), self.discord_per_minute);
        }
        if let Some(token) = &self.youtube_access_token {
            let youtube = YoutubePublisher::new(self.youtube_api_url.clone(), token.clone(), pool.clone())?;
            platforms = platforms.with(std::sync::Arc::new(youtube), self.youtube_per_minute);
        }
        Ok(platforms)
    }
}

#[derive(Args, Clone)]
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
    /// Kafka bootstrap servers. Unset: a local broker is started with its
    /// log under the data directory, and stopped on exit.
    #[arg(long, env = "KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
}

#[derive(Args, Clone)]
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
#[derive(Args, Clone)]
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
