//! `wavestack export`: the event store's history as Parquet and Avro
//! files for DuckDB, pandas and Spark (see docs/analysts-and-auditors.md).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use wavestack_domain::value::Timestamp;
use wavestack_projections::export::{export, ExportFormat, ExportOptions};
use wavestack_schemas::AggregateKind;

use super::connect_and_migrate;
use super::progress::progress_bar;
use crate::config::DatabaseArgs;

#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The aggregates to export (repeatable, or comma-separated): chat,
    /// clip, publication, channel, command_use, giveaway, poll, identity,
    /// team, or `all`.
    #[arg(long = "aggregate", value_delimiter = ',', required = true)]
    aggregates: Vec<String>,
    /// Only events that occurred at or after this RFC 3339 instant.
    #[arg(long)]
    from: Option<String>,
    /// Only events that occurred at or before this RFC 3339 instant.
    #[arg(long)]
    until: Option<String>,
    /// `parquet`, `avro`, or both (repeatable, or comma-separated).
    #[arg(long = "format", value_delimiter = ',', default_value = "parquet")]
    formats: Vec<String>,
    /// The directory; an export into one that holds an export carries it on.
    #[arg(long)]
    out: PathBuf,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let instant = |flag: &str, raw: &Option<String>| {
        raw.as_deref()
            .map(|raw| {
                Timestamp::parse_rfc3339(raw).with_context(|| format!("--{flag} `{raw}` is not an RFC 3339 instant"))
            })
            .transpose()
    };
    let mut aggregates = Vec::new();
    for name in &args.aggregates {
        match name.as_str() {
            "all" => aggregates.extend(AggregateKind::ALL),
            other => aggregates.push(AggregateKind::from_aggregate_type(other).with_context(|| {
                format!("--aggregate `{other}` is none of chat, clip, publication, channel, command_use, giveaway, poll, identity, team, all")
            })?),
        }
    }
    aggregates.sort();
    aggregates.dedup();
    let formats = args.formats.iter().map(|f| ExportFormat::parse(f).context("--format")).collect::<Result<_, _>>()?;
    let options = ExportOptions {
        aggregates,
        from: instant("from", &args.from)?,
        until: instant("until", &args.until)?,
        formats,
        out: args.out.clone(),
    };
    let pool = connect_and_migrate(&args.database).await?;
    let report = export(&pool, &options, progress_bar("events")).await?;
    eprintln!();
    let rate = report.read as f64 / report.elapsed.as_secs_f64().max(1e-3);
    println!(
        "exported {} events ({} read past the last export) into {} files under {} in {:.1} s ({rate:.0} events/s)",
        report.written,
        report.read,
        report.files.len(),
        args.out.display(),
        report.elapsed.as_secs_f64()
    );
    pool.close().await;
    Ok(())
}
