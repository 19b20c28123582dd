use anyhow::Context;
use wavestack_adapters::kafka::{ensure_topics, idempotent_producer, KafkaConfig, LocalBroker, LocalBrokerStorage};
use wavestack_adapters::postgres;
use wavestack_adapters::relay::{self, RelayConfig};
use wavestack_schemas::AggregateKind;

use crate::config::{DatabaseArgs, KafkaArgs, RelayArgs, UpArgs};
use crate::shutdown;

pub async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&args).await?;
    pool.close().await;
    tracing::info!(database = %postgres::redact(&args.database_url), "database is up to date");
    Ok(())
}

pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let cancel = shutdown::on_signal();
    let pool = connect_and_migrate(&args.database).await?;
    // Held until the end of `up`: dropping it stops the local broker.
    let (_local_broker, brokers) = match &args.kafka_brokers {
        Some(brokers) => (None, brokers.clone()),
        None => {
            let dir = std::path::absolute(args.data_dir.join("kafka")).context("resolving the data directory")?;
            let broker = tokio::task::spawn_blocking(move || {
                LocalBroker::start_on(local_broker_port(), LocalBrokerStorage::Sqlite(dir))
            })
            .await??;
            tracing::info!(bootstrap = %broker.bootstrap(), data_dir = ?broker.data_dir(), "local Kafka broker started");
            let bootstrap = broker.bootstrap();
            (Some(broker), bootstrap)
        }
    };
    let kafka = kafka_config(&brokers, &args.kafka);
    run_relay(pool, kafka, &args.kafka, cancel).await
}

pub async fn relay(args: RelayArgs) -> anyhow::Result<()> {
    let cancel = shutdown::on_signal();
    let pool = connect_and_migrate(&args.database).await?;
    let kafka = kafka_config(&args.kafka_brokers, &args.kafka);
    run_relay(pool, kafka, &args.kafka, cancel).await
}

async fn run_relay(
    pool: sqlx::PgPool,
    kafka: KafkaConfig,
    args: &KafkaArgs,
    cancel: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let topics: Vec<String> = AggregateKind::ALL.iter().map(|k| k.topic()).collect();
    ensure_topics(&kafka, &topics).await?;
    tracing::info!(brokers = %kafka.brokers, ?topics, "topics ready; relaying events");
    let producer = idempotent_producer(&kafka)?;
    let config = RelayConfig { batch_size: args.relay_batch_size, ..RelayConfig::default() };
    relay::supervise(pool, producer, config, cancel).await
}

async fn connect_and_migrate(args: &DatabaseArgs) -> anyhow::Result<sqlx::PgPool> {
    postgres::ensure_database(&args.database_url).await?;
    let pool = postgres::connect(&args.database_url, 10).await?;
    postgres::migrate(&pool).await?;
    Ok(pool)
}

fn kafka_config(brokers: &str, args: &KafkaArgs) -> KafkaConfig {
    KafkaConfig {
        brokers: brokers.to_owned(),
        partitions: args.partitions,
        replication_factor: args.replication_factor,
    }
}

/// The local broker listens on Kafka's usual port unless told otherwise.
fn local_broker_port() -> u16 {
    std::env::var("WAVESTACK_LOCAL_KAFKA_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(9092)
}
