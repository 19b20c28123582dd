//! `wavestack replay`: rebuild a read model from the log into a fresh
//! schema, optionally as of an instant, optionally swapping it in.

use anyhow::Context;
use clap::Args;
use wavestack_domain::value::Timestamp;
use wavestack_projections::replay::{ReplayOptions, ReplaySource};
use wavestack_projections::ProjectionKind;

use super::progress::progress_bar;
use super::{connect_and_migrate, kafka_config, schema_ids};
use crate::config::{DatabaseArgs, KafkaArgs};

#[derive(Debug, Args, Clone)]
pub struct ReplayArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Kafka bootstrap servers (the local broker of `wavestack up` listens on 127.0.0.1:9092).
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    kafka_brokers: String,
    /// The read model to rebuild: `leaderboard`, `analytics`, `queue`, `audit`, `moderation` or `community`.
    #[arg(long)]
    projection: String,
    /// Apply only events that occurred at or before this RFC 3339 instant.
    #[arg(long)]
    until: Option<String>,
    /// Schema to build into (must not exist). Default: a fresh, dated name.
    #[arg(long)]
    into: Option<String>,
    /// Make the rebuilt model the live one; a running `wavestack up` steps
    /// aside for the swap and carries on from the rebuilt model.
    #[arg(long)]
    swap: bool,
    /// Where to read the events: `store` (the events table, the truth) or
    /// `log` (the Kafka topics, for a replay against a cluster).
    #[arg(long, default_value = "store")]
    source: String,
}

pub async fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let until = args
        .until
        .as_deref()
        .map(|raw| Timestamp::parse_rfc3339(raw).with_context(|| format!("--until `{raw}`")))
        .transpose()?;
    let kind = ProjectionKind::parse(&args.projection)?;
    let source = ReplaySource::parse(&args.source).context("--source")?;
    let pool = connect_and_migrate(&args.database).await?;
    let kafka = kafka_config(&args.kafka_brokers, &args.kafka);
    let ids = schema_ids(&args.kafka).await?;
    let options = ReplayOptions { into: args.into, until, swap: args.swap, source };
    let progress = progress_bar("events");
    let report = kind.replay(&pool, &kafka, &ids, options, progress).await?;
    eprintln!();
    let rate = report.records_read as f64 / report.elapsed.as_secs_f64().max(1e-3);
    println!(
        "rebuilt {} in schema {} from the {}: {} events read, {} applied in {:.1} s ({rate:.0} events/s)",
        args.projection,
        report.schema,
        args.source,
        report.records_read,
        report.events_applied,
        report.elapsed.as_secs_f64()
    );
    if let Some(retired) = report.retired {
        println!("swapped in; the previous model is kept in schema {retired}");
    }
    pool.close().await;
    Ok(())
}
