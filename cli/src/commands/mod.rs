//! One module per subcommand; what they share is here.

pub mod audit;
pub mod bench;
pub mod export;
pub mod fake_twitch;
mod progress;
pub mod render;
pub mod replay;
pub mod status;
pub mod token;
pub mod twitch;
pub mod up;
pub mod user;

use wavestack_adapters::kafka::KafkaConfig;
use wavestack_adapters::postgres;
use wavestack_adapters::registry::register_catalog;
use wavestack_adapters::relay;
use wavestack_schemas::SchemaIds;

use crate::config::{DatabaseArgs, KafkaArgs, RelayArgs};
use crate::shutdown;

pub async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&args).await?;
    pool.close().await;
    tracing::info!(database = %postgres::redact(&args.database_url), "database is up to date");
    Ok(())
}

pub async fn relay(args: RelayArgs) -> anyhow::Result<()> {
    let cancel = shutdown::on_signal();
    let pool = connect_and_migrate(&args.database).await?;
    let kafka = kafka_config(&args.kafka_brokers, &args.kafka);
    let schema_ids = schema_ids(&args.kafka).await?;
    relay::run_until_stopped(pool, kafka, args.kafka.relay_batch_size, schema_ids, cancel).await
}

/// The ids records carry: an external registry's, or the catalog's.
pub(crate) async fn schema_ids(args: &KafkaArgs) -> anyhow::Result<SchemaIds> {
    match &args.schema_registry_url {
        Some(url) => register_catalog(url, std::time::Duration::from_secs(60)).await,
        None => Ok(SchemaIds::catalog()),
    }
}

pub(crate) async fn connect_and_migrate(args: &DatabaseArgs) -> anyhow::Result<sqlx::PgPool> {
    let Some(owner_url) = &args.migrate_database_url else {
        postgres::ensure_database(&args.database_url).await?;
        let pool = postgres::connect(&args.database_url, args.database_max_connections).await?;
        postgres::migrate(&pool).await?;
        return Ok(pool);
    };
    // The owner migrates and grants; the app connects as its own role.
    postgres::ensure_database(owner_url).await?;
    let owner = postgres::connect(owner_url, 2).await?;
    postgres::migrate(&owner).await?;
    let options: sqlx::postgres::PgConnectOptions =
        args.database_url.parse().map_err(|e| anyhow::anyhow!("DATABASE_URL is not a Postgres URL: {e}"))?;
    postgres::grant_app_role(&owner, options.get_username()).await?;
    owner.close().await;
    postgres::connect(&args.database_url, args.database_max_connections).await
}

pub(crate) fn kafka_config(brokers: &str, args: &KafkaArgs) -> KafkaConfig {
    KafkaConfig {
        brokers: brokers.to_owned(),
        partitions: args.partitions,
        replication_factor: args.replication_factor,
    }
}
