//! Command-line and environment configuration. Every flag also reads an
//! environment variable; doc comments are the help text.

use std::path::PathBuf;

use clap::Args;
use tracing_subscriber::EnvFilter;
use wavestack_adapters::postgres::DEFAULT_DATABASE_URL;

#[derive(Args, Clone)]
pub struct DatabaseArgs {
    /// Postgres connection URL; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
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
    #[arg(long, env = "RELAY_BATCH_SIZE", default_value_t = 1000)]
    pub relay_batch_size: i64,
}

#[derive(Args, Clone)]
pub struct UpArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Kafka bootstrap servers. Unset: a local broker is started with its
    /// log under the data directory, and stopped on exit.
    #[arg(long, env = "KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Where local state lives (the local broker's log).
    #[arg(long, env = "WAVESTACK_DATA_DIR", default_value = ".wavestack")]
    pub data_dir: PathBuf,
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

/// Logs go to stderr; `RUST_LOG` filters (default `info`), and
/// `WAVESTACK_LOG_FORMAT=json` switches to one JSON object per line.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("WAVESTACK_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
