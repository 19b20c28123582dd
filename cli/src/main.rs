//! The `wavestack` binary: a thin shell over the crates that do the work.

use wavestack::{commands, config, config_file};

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's malloc: under batch load glibc's per-thread
/// arenas fragmented (peak RSS 301 MB in the bench) and its bookkeeping took
/// about a tenth of the process's CPU samples (BENCHMARKS.md, issue 6).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// WaveStack: chat → clip → publish, event-sourced on a durable log.
#[derive(Parser)]
#[command(name = "wavestack", version)]
struct Cli {
    /// TOML config file; its keys are the long flag names, and service
    /// clients go in `[[clients]]` tables. Flags and environment win.
    #[arg(long, env = "WAVESTACK_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole stack in one process: migrations, the local Kafka
    /// broker (unless KAFKA_BROKERS is set), topics, the outbox relay, the
    /// command API, the query API, the projections, the clip renderer, the
    /// chat clipper and the publisher.
    Up(Box<config::UpArgs>),
    /// Creates the database if needed and applies migrations.
    Migrate(config::DatabaseArgs),
    /// Runs only the outbox relay against an existing Kafka cluster.
    Relay(config::RelayArgs),
    /// Runs one more clip renderer (ffmpeg) against a running stack;
    /// renderers share the clip topic's partitions.
    Render(config::RenderArgs),
    /// Rebuilds a read model from the log into a fresh schema (optionally
    /// as of an instant), and can swap it in.
    Replay(commands::replay::ReplayArgs),
    /// Writes the event store's history as Hive-partitioned Parquet and/or
    /// Avro files for DuckDB, pandas and Spark; carries on incrementally.
    Export(commands::export::ExportArgs),
    /// Brings a throwaway stack up, drives it with realistic chat over HTTP
    /// and writes the measurements (JSON and a table) to `bench-results/`.
    Bench(commands::bench::BenchArgs),
    /// What the pipeline of a running stack is behind on: the broker, the
    /// relay's lag and each consumer's (as `/ready` reports them).
    Status(config::StatusArgs),
    /// Tokens and signing keys.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Checks the Kafka log alone: every stream's chain against the signed
    /// checkpoints, a giveaway's draw against what was published.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// The dashboard's people: `user add --org … --username … --role owner`
    /// creates an org's first owner.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Twitch: `twitch connect --org …` connects a channel from the command
    /// line, as an owner does from the dashboard.
    #[command(subcommand)]
    Twitch(commands::twitch::TwitchCommand),
    /// The local fake Twitch the tests run against, with a control API
    /// (for the browser tests; see scripts/browser-tests).
    #[command(hide = true)]
    FakeTwitch(commands::fake_twitch::FakeTwitchArgs),
}

fn main() -> anyhow::Result<()> {
    let mut cli = Cli::parse();
    let file = match &cli.config {
        Some(path) => {
            let file = config_file::apply::<Cli>(path)?;
            cli = Cli::parse();
            file
        }
        None => config_file::FileConfig::default(),
    };
    config::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Up(args) => commands::up::run(*args, file).await,
            Command::Migrate(args) => commands::migrate(args).await,
            Command::Relay(args) => commands::relay(args).await,
            Command::Render(args) => commands::render::run(args).await,
            Command::Bench(args) => commands::bench::run(args).await,
            Command::Replay(args) => commands::replay::run(args).await,
            Command::Export(args) => commands::export::run(args).await,
            Command::Status(args) => commands::status::run(args).await,
            Command::Token(command) => commands::token::run(command).await,
            Command::Audit(command) => commands::audit::run(command).await,
            Command::User(command) => commands::user::run(command).await,
            Command::Twitch(command) => commands::twitch::run(command).await,
            Command::FakeTwitch(args) => commands::fake_twitch::run(args).await,
        }
    })
}
