//! `wavestack audit verify --public-key HEX`: reads every event topic and
//! the checkpoint topic from the Kafka log (no database), recomputes every
//! stream's audit chain and checks it against the checkpoints the trusted
//! key signed (`wavestack_schemas::audit::verify`, docs/analysts-and-auditors.md's
//! algorithm). Prints each discrepancy with its stream and sequence and
//! exits 1 on any.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context;
use wavestack_adapters::kafka::{read_topic, KafkaConfig};
use wavestack_schemas::audit::checkpoint::verifying_key_from_hex;
use wavestack_schemas::audit::{verify_with, CheckpointRecord, Checks, EventRecord, VerifyReport, CHECKPOINT_TOPIC};
use wavestack_schemas::{AggregateKind, Codec};

use crate::commands::{kafka_config, schema_ids};
use crate::config::KafkaArgs;

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The checkpointer's public key (64 hex digits), as the auditor holds
    /// it: never read from the log it is checking.
    #[arg(long, env = "WAVESTACK_AUDIT_PUBLIC_KEY")]
    pub public_key: String,
    /// Verify only these orgs (repeatable); an org named here with no
    /// checkpoint at all is a finding. Default: every org on the log.
    #[arg(long = "org")]
    pub orgs: Vec<String>,
    /// Kafka bootstrap servers (the local broker of `wavestack up` listens on 127.0.0.1:9092).
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub kafka_brokers: String,
    /// `ORG=N`: checkpoint N of ORG is known to exist (the org published
    /// it, or an earlier verification printed it). A log whose latest signed
    /// checkpoint is older had its last checkpoints withheld: a finding.
    /// Repeatable.
    #[arg(long = "expect-checkpoint", value_parser = anchor)]
    pub expect_checkpoints: Vec<(String, u64)>,
    /// Also replay the economy's rules over the log: name every event the
    /// rules could not have produced from the state before it (a balance
    /// that does not follow, a credit with no debit, a refund of nothing,
    /// anything settled twice), even when it is chained and signed.
    #[arg(long)]
    pub rules: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

pub(super) async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let trusted = verifying_key_from_hex(&args.public_key)
        .context("--public-key is not an Ed25519 public key as 64 hex digits")?;
    let kafka = kafka_config(&args.kafka_brokers, &args.kafka);
    let codec = Codec::with_schema_ids(&schema_ids(&args.kafka).await?)?;
    let orgs: BTreeSet<String> = args.orgs.iter().cloned().collect();
    let checks = if args.rules { Checks::ChainAndRules } else { Checks::Chain };
    let mut report = verify_log(&kafka, &codec, &trusted, &orgs, checks).await?;
    report.hold_to(&args.expect_checkpoints.into_iter().collect());
    super::report(&report, args.json, text, report.holds())
}

fn anchor(raw: &str) -> Result<(String, u64), String> {
    let (org, number) = raw.split_once('=').ok_or("expected ORG=N, such as acme=42")?;
    let number = number.parse::<u64>().map_err(|_| format!("`{number}` is not a checkpoint number"))?;
    if org.is_empty() || number == 0 {
        return Err("expected ORG=N with N from 1".to_owned());
    }
    Ok((org.to_owned(), number))
}

/// Reads the log and verifies it.
pub async fn verify_log(
    kafka: &KafkaConfig,
    codec: &Codec,
    trusted: &ed25519_dalek::VerifyingKey,
    orgs: &BTreeSet<String>,
    checks: Checks,
) -> anyhow::Result<VerifyReport> {
    let timeout = Duration::from_secs(300);
    let mut events = Vec::new();
    for kind in AggregateKind::ALL {
        let topic = kind.topic();
        let records = read_topic(kafka, &topic, |_| true, timeout).await.with_context(|| format!("reading {topic}"))?;
        for record in records {
            let Some(value) = record.value else { continue };
            events.push(match codec.decode(&value) {
                Ok(envelope) => EventRecord::Decoded(Box::new(envelope)),
                Err(error) => EventRecord::Undecodable {
                    topic: topic.clone(),
                    partition: record.partition,
                    offset: record.offset,
                    error: error.to_string(),
                },
            });
        }
    }
    let checkpoints = read_topic(kafka, CHECKPOINT_TOPIC, |_| true, timeout)
        .await
        .with_context(|| format!("reading {CHECKPOINT_TOPIC}"))?
        .into_iter()
        .filter_map(|r| Some(CheckpointRecord { partition: r.partition, offset: r.offset, value: r.value? }))
        .collect::<Vec<_>>();
    Ok(verify_with(events, checkpoints, trusted, orgs, checks))
}

fn text(report: &VerifyReport) -> String {
    let mut out = format!(
        "{} events in {} streams, {} signed checkpoints; {} events after the last checkpoint of their stream\n",
        report.events, report.streams, report.checkpoints, report.unvouched_events
    );
    for (org, number) in &report.latest_checkpoints {
        out.push_str(&format!("{org}: latest signed checkpoint {number} (hold the next verification to it: --expect-checkpoint {org}={number})\n"));
    }
    for finding in &report.findings {
        out.push_str(&format!("FINDING {}\n", serde_json::to_string(finding).unwrap_or_default()));
    }
    out.push_str(if report.holds() { "the log verifies\n" } else { "the log DOES NOT verify\n" });
    out
}
