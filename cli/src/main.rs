//! The `wavestack` binary: a thin shell over the crates that do the work.

mod commands;
mod config;
mod shutdown;

use clap::{Parser, Subcommand};

/// WaveStack: chat → clip → publish, event-sourced on a durable log.
#[derive(Parser)]
#[command(name = "wavestack", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole stack in one process: migrations, the local Kafka
    /// broker (unless KAFKA_BROKERS is set), topics and the outbox relay.
    Up(config::UpArgs),
    /// Creates the database if needed and applies migrations.
    Migrate(config::DatabaseArgs),
    /// Runs only the outbox relay against an existing Kafka cluster.
    Relay(config::RelayArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    config::init_logging();
    match Cli::parse().command {
        Command::Up(args) => commands::up(args).await,
        Command::Migrate(args) => commands::migrate(args).await,
        Command::Relay(args) => commands::relay(args).await,
    }
}
