//! `wavestack audit giveaway <org>/<id>`: recomputes a giveaway's draws
//! from the Kafka log alone (no database) and says whether the published
//! winners hold. Exits 1 on any finding.
//!
//! What is checked: the stream's records are the sequences 1..n with no
//! gap and no two different records under one sequence (a redelivered
//! copy is the same record and counts once); the first is the opening,
//! with its commitment; every draw reveals a seed whose SHA-256 is the
//! commitment it was held to (the opening's for the first draw, the round
//! before's `next_commitment` for a redraw); every round's winners are `draw::pick_winners` of that
//! seed over the entries the log holds before it (the algorithm in docs/streamers.md).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use wavestack_adapters::kafka::{read_topic, KafkaConfig};
use wavestack_domain::giveaway::{audit, AuditReport, GiveawayEvent};
use wavestack_domain::value::{GiveawayId, GiveawayStreamId, OrgId};
use wavestack_schemas::{AggregateKind, Codec, LogEvent};

use crate::commands::{kafka_config, schema_ids};
use crate::config::KafkaArgs;

#[derive(Debug, clap::Args)]
pub struct GiveawayArgs {
    /// The giveaway: `<org>/<giveaway id>` (its key on the log), or its id
    /// with `--org`.
    pub giveaway: String,
    #[arg(long, env = "WAVESTACK_ORG")]
    pub org: Option<String>,
    /// Kafka bootstrap servers (the local broker of `wavestack up` listens on 127.0.0.1:9092).
    #[arg(long, env = "KAFKA_BROKERS", default_value = "localhost:9092")]
    pub kafka_brokers: String,
    /// The topic to read: the giveaways' own by default, or a copy (a
    /// mirror, an export) to audit.
    #[arg(long)]
    pub topic: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

/// What the log says beyond the draw: sequences missing or contradicted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogFinding {
    /// No record holds this sequence, though later ones exist.
    MissingSequence { sequence: u64 },
    /// Two different records claim this sequence.
    ConflictingRecords { sequence: u64 },
    /// A record of the stream that does not decode.
    Undecodable { partition: i32, offset: i64, error: String },
}

#[derive(Debug, Serialize)]
pub struct GiveawayAudit {
    pub giveaway: String,
    pub topic: String,
    pub records: usize,
    pub events: usize,
    pub log_findings: Vec<LogFinding>,
    #[serde(flatten)]
    pub draw: AuditReport,
    /// What the log published: each round's winners.
    pub published: Vec<Vec<String>>,
}

impl GiveawayAudit {
    pub fn holds(&self) -> bool {
        self.log_findings.is_empty() && self.draw.holds()
    }
}

pub(super) async fn run(args: GiveawayArgs) -> anyhow::Result<()> {
    let stream = match (&args.org, args.giveaway.split_once('/')) {
        (_, Some(_)) => GiveawayStreamId::parse(&args.giveaway),
        (Some(org), None) => {
            GiveawayId::parse(&args.giveaway).and_then(|id| Ok(GiveawayStreamId::new(&OrgId::parse(org.as_str())?, id)))
        }
        (None, None) => anyhow::bail!("name the giveaway as <org>/<id>, or give --org"),
    }
    .map_err(|e| anyhow::anyhow!("the giveaway {e}"))?;
    let kafka = kafka_config(&args.kafka_brokers, &args.kafka);
    let codec = Codec::with_schema_ids(&schema_ids(&args.kafka).await?)?;
    let topic = args.topic.clone().unwrap_or_else(|| AggregateKind::Giveaway.topic());
    let report = audit_giveaway(&kafka, &codec, &topic, &stream).await?;
    super::report(&report, args.json, text, report.holds())
}

/// Reads the stream's records from `topic` and audits them.
pub async fn audit_giveaway(
    kafka: &KafkaConfig,
    codec: &Codec,
    topic: &str,
    stream: &GiveawayStreamId,
) -> anyhow::Result<GiveawayAudit> {
    let key = stream.as_str().as_bytes().to_vec();
    let records = read_topic(kafka, topic, move |k| k == Some(key.as_slice()), Duration::from_secs(120))
        .await
        .with_context(|| format!("reading {topic}"))?;
    let mut log_findings = Vec::new();
    let mut by_sequence: BTreeMap<u64, (Vec<u8>, GiveawayEvent)> = BTreeMap::new();
    for record in &records {
        let Some(value) = &record.value else { continue };
        let envelope = match codec.decode(value) {
            Ok(envelope) => envelope,
            Err(error) => {
                let (partition, offset) = (record.partition, record.offset);
                log_findings.push(LogFinding::Undecodable { partition, offset, error: error.to_string() });
                continue;
            }
        };
        let LogEvent::Giveaway(event) = envelope.event else { continue };
        match by_sequence.get(&envelope.sequence) {
            // At-least-once delivery: the same record twice is one event.
            Some((bytes, _)) if bytes == value => {}
            Some(_) => log_findings.push(LogFinding::ConflictingRecords { sequence: envelope.sequence }),
            None => {
                by_sequence.insert(envelope.sequence, (value.clone(), event));
            }
        }
    }
    let last = by_sequence.keys().next_back().copied().unwrap_or(0);
    for sequence in 1..=last {
        if !by_sequence.contains_key(&sequence) {
            log_findings.push(LogFinding::MissingSequence { sequence });
        }
    }
    let events: Vec<&GiveawayEvent> = by_sequence.values().map(|(_, e)| e).collect();
    let published = events
        .iter()
        .filter_map(|e| match e {
            GiveawayEvent::WinnersDrawn(d) => Some(d.winners.iter().map(|w| w.person.to_string()).collect()),
            _ => None,
        })
        .collect();
    Ok(GiveawayAudit {
        giveaway: stream.to_string(),
        topic: topic.to_owned(),
        records: records.len(),
        events: events.len(),
        log_findings,
        draw: audit(events),
        published,
    })
}

fn text(report: &GiveawayAudit) -> String {
    let mut out = format!(
        "giveaway {} on {}: {} records, {} events, {} entries, {} rounds\n",
        report.giveaway, report.topic, report.records, report.events, report.draw.entries, report.draw.rounds
    );
    for (round, winners) in report.draw.winners.iter().enumerate() {
        out.push_str(&format!(
            "round {round}: recomputed winners {}\n",
            winners.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    for finding in &report.log_findings {
        out.push_str(&format!("FINDING {}\n", serde_json::to_string(finding).unwrap_or_default()));
    }
    for finding in &report.draw.findings {
        out.push_str(&format!("FINDING {}\n", serde_json::to_string(finding).unwrap_or_default()));
    }
    out.push_str(if report.holds() { "the published winners hold\n" } else { "the published winners DO NOT hold\n" });
    out
}
