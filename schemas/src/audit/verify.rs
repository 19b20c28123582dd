//! `audit verify`'s algorithm, over records already read from the log:
//! every stream's chain recomputed from its records, every checkpoint's
//! signature checked against the trusted key, and every signed head
//! compared with the chain the log gives. Pure, so a test can feed it any
//! log a tamperer could produce.

use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use super::chain::{self, ChainHash, GENESIS};
use super::checkpoint::{CheckpointBody, SignedCheckpoint};
use super::rules::{self, Broken};
use crate::envelope::LogEnvelope;

/// One record of an event topic, in the partition's order.
#[derive(Debug)]
pub enum EventRecord {
    Decoded(Box<LogEnvelope>),
    /// The record is on the log but is no event of ours.
    Undecodable {
        topic: String,
        partition: i32,
        offset: i64,
        error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Stream {
    pub aggregate_type: String,
    pub aggregate_id: String,
}

/// A discrepancy, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The chain at `through` is not the signed one: an event in
    /// `from..=through` was changed (or the events there were replaced).
    Edited {
        #[serde(flatten)]
        stream: Stream,
        from: u64,
        through: u64,
    },
    /// Two different records claim this sequence.
    Conflicting {
        #[serde(flatten)]
        stream: Stream,
        sequence: u64,
    },
    /// No record holds this sequence, though a later one exists.
    Missing {
        #[serde(flatten)]
        stream: Stream,
        sequence: u64,
    },
    /// This sequence came after a later one of its stream on the log.
    Reordered {
        #[serde(flatten)]
        stream: Stream,
        sequence: u64,
        after: u64,
    },
    /// The log's stream ends at `sequence - 1`; a checkpoint signed up to
    /// `through`.
    TruncatedTail {
        #[serde(flatten)]
        stream: Stream,
        sequence: u64,
        through: u64,
    },
    /// A signed stream that the log does not hold at all.
    MissingStream {
        #[serde(flatten)]
        stream: Stream,
        through: u64,
    },
    /// A checkpoint record that the trusted key did not sign.
    ForgedCheckpoint {
        org: Option<String>,
        number: Option<u64>,
        partition: i32,
        offset: i64,
        reason: String,
    },
    /// A checkpoint number with no signed checkpoint, though later ones
    /// exist (or, for an org asked for by name, none at all).
    MissingCheckpoint {
        org: String,
        number: u64,
    },
    Undecodable {
        topic: String,
        partition: i32,
        offset: i64,
        error: String,
    },
    /// The auditor knows of checkpoint `expected` (published, or seen
    /// before), but the log's latest signed one is `latest` (0: none): the
    /// checkpoints after it were withheld, and with them what they signed.
    WithheldCheckpoints {
        org: String,
        latest: u64,
        expected: u64,
    },
    /// An event the rules could not have produced from the state before it
    /// (`--rules`: `rules.rs` lists them).
    RuleBroken(Broken),
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub streams: usize,
    pub events: usize,
    pub checkpoints: usize,
    /// Events past every checkpoint of their stream: consistent, but not
    /// yet vouched for by a signature.
    pub unvouched_events: u64,
    /// Each org's latest signed checkpoint number: what an auditor notes
    /// (or the org publishes) to hold the next verification to.
    pub latest_checkpoints: BTreeMap<String, u64>,
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }

    /// Holds the log to anchors the auditor brings (org → a checkpoint
    /// number known to exist): a log that ends before one had its last
    /// checkpoints withheld, which no signature on what remains can show.
    pub fn hold_to(&mut self, anchors: &BTreeMap<String, u64>) {
        for (org, &expected) in anchors {
            let latest = self.latest_checkpoints.get(org).copied().unwrap_or(0);
            if latest < expected {
                self.findings.push(Finding::WithheldCheckpoints { org: org.clone(), latest, expected });
            }
        }
    }
}

/// One checkpoint record, in the topic's order.
#[derive(Debug)]
pub struct CheckpointRecord {
    pub partition: i32,
    pub offset: i64,
    pub value: Vec<u8>,
}

/// What to verify: the orgs named (all when empty).
pub fn verify(
    events: impl IntoIterator<Item = EventRecord>,
    checkpoints: impl IntoIterator<Item = CheckpointRecord>,
    trusted: &VerifyingKey,
    orgs: &BTreeSet<String>,
) -> VerifyReport {
    verify_with(events, checkpoints, trusted, orgs, Checks::Chain)
}

/// How far `verify_with` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// The chain and the signatures: the log is the one that was written.
    Chain,
    /// And the economy's rules replayed (`rules.rs`): what was written
    /// follows from the state before it.
    ChainAndRules,
}

/// `verify`, replaying the rules too when asked.
pub fn verify_with(
    events: impl IntoIterator<Item = EventRecord>,
    checkpoints: impl IntoIterator<Item = CheckpointRecord>,
    trusted: &VerifyingKey,
    orgs: &BTreeSet<String>,
    checks: Checks,
) -> VerifyReport {
    let wanted = |org: &str| orgs.is_empty() || orgs.contains(org);
    let mut findings = Vec::new();
    let mut streams: BTreeMap<Stream, StreamLog> = BTreeMap::new();
    let mut event_count = 0;
    for record in events {
        match record {
            EventRecord::Decoded(envelope) if wanted(envelope.metadata.org.as_str()) => {
                event_count += 1;
                let stream = Stream {
                    aggregate_type: envelope.event.kind().aggregate_type().to_owned(),
                    aggregate_id: envelope.aggregate_id.clone(),
                };
                streams.entry(stream.clone()).or_default().push(&stream, *envelope, &mut findings);
            }
            EventRecord::Decoded(_) => {}
            EventRecord::Undecodable { topic, partition, offset, error } => {
                findings.push(Finding::Undecodable { topic, partition, offset, error })
            }
        }
    }
    let chains: BTreeMap<&Stream, Chains> = streams.iter().map(|(s, log)| (s, log.chains(s, &mut findings))).collect();
    if checks == Checks::ChainAndRules {
        let broken = rules::check(streams.iter().map(|(stream, log)| (stream, &log.by_sequence)));
        findings.extend(broken.into_iter().map(Finding::RuleBroken));
    }

    let signed = signed_checkpoints(checkpoints, trusted, &wanted, &mut findings);
    let checkpoint_count = signed.values().map(BTreeMap::len).sum();
    for (org, by_number) in &signed {
        check_numbering(org, by_number, &mut findings);
    }
    for org in orgs {
        if !signed.contains_key(org) {
            findings.push(Finding::MissingCheckpoint { org: org.clone(), number: 1 });
        }
    }

    // Every signed head, in checkpoint order, against the recomputed chain.
    let mut vouched: BTreeMap<Stream, u64> = BTreeMap::new();
    let mut failed: BTreeSet<Stream> = BTreeSet::new();
    let mut signed_through: BTreeMap<Stream, u64> = BTreeMap::new();
    for body in signed.values().flat_map(BTreeMap::values).map(|(body, _)| body) {
        for head in &body.heads {
            let stream =
                Stream { aggregate_type: head.aggregate_type.clone(), aggregate_id: head.aggregate_id.clone() };
            let through = signed_through.entry(stream.clone()).or_default();
            *through = (*through).max(head.sequence);
            if failed.contains(&stream) {
                continue;
            }
            let Some(log) = chains.get(&stream) else { continue };
            if head.sequence > log.last {
                continue;
            }
            let from = vouched.get(&stream).map_or(1, |v| v + 1);
            match log.at.get(&head.sequence) {
                Some(chain) if chain::to_hex(chain) == head.chain => {
                    vouched.insert(stream, head.sequence);
                }
                // A sequence the log lacks is reported as missing already.
                None => {}
                Some(_) => {
                    findings.push(Finding::Edited { stream: stream.clone(), from, through: head.sequence });
                    failed.insert(stream);
                }
            }
        }
    }
    for (stream, through) in signed_through {
        match chains.get(&stream) {
            None => findings.push(Finding::MissingStream { stream, through }),
            Some(log) if log.last < through => {
                findings.push(Finding::TruncatedTail { stream, sequence: log.last + 1, through })
            }
            Some(_) => {}
        }
    }
    let unvouched_events =
        chains.iter().map(|(stream, log)| log.last.saturating_sub(vouched.get(*stream).copied().unwrap_or(0))).sum();
    let latest_checkpoints =
        signed.iter().filter_map(|(org, by_number)| by_number.keys().next_back().map(|n| (org.clone(), *n))).collect();
    VerifyReport {
        streams: streams.len(),
        events: event_count,
        checkpoints: checkpoint_count,
        unvouched_events,
        latest_checkpoints,
        findings,
    }
}

/// A stream's records by sequence, as the log gave them.
#[derive(Default)]
struct StreamLog {
    by_sequence: BTreeMap<u64, LogEnvelope>,
    highest_seen: u64,
}

impl StreamLog {
    fn push(&mut self, stream: &Stream, envelope: LogEnvelope, findings: &mut Vec<Finding>) {
        let sequence = envelope.sequence;
        match self.by_sequence.get(&sequence) {
            // A redelivery: the relay sends at least once.
            Some(held) if *held == envelope => return,
            Some(_) => {
                findings.push(Finding::Conflicting { stream: stream.clone(), sequence });
                return;
            }
            None => {}
        }
        if sequence < self.highest_seen {
            findings.push(Finding::Reordered { stream: stream.clone(), sequence, after: self.highest_seen });
        }
        self.highest_seen = self.highest_seen.max(sequence);
        self.by_sequence.insert(sequence, envelope);
    }

    /// The chain at every sequence the log holds, in sequence order, each
    /// event linked to the one before it that the log holds.
    fn chains(&self, stream: &Stream, findings: &mut Vec<Finding>) -> Chains {
        let mut at = BTreeMap::new();
        let mut previous = GENESIS;
        let mut expected = 1;
        for (sequence, envelope) in &self.by_sequence {
            for missing in expected..*sequence {
                findings.push(Finding::Missing { stream: stream.clone(), sequence: missing });
            }
            previous = chain::link(&previous, envelope);
            at.insert(*sequence, previous);
            expected = sequence + 1;
        }
        Chains { at, last: self.highest_seen }
    }
}

struct Chains {
    at: BTreeMap<u64, ChainHash>,
    last: u64,
}

/// The checkpoints the trusted key signed, by org and number, each with
/// its record's digest; every other record is a finding.
fn signed_checkpoints(
    records: impl IntoIterator<Item = CheckpointRecord>,
    trusted: &VerifyingKey,
    wanted: &dyn Fn(&str) -> bool,
    findings: &mut Vec<Finding>,
) -> BTreeMap<String, BTreeMap<u64, (CheckpointBody, String)>> {
    let mut signed: BTreeMap<String, BTreeMap<u64, (CheckpointBody, String)>> = BTreeMap::new();
    for record in records {
        let forged = |org: Option<String>, number: Option<u64>, reason: String| Finding::ForgedCheckpoint {
            org,
            number,
            partition: record.partition,
            offset: record.offset,
            reason,
        };
        let checkpoint = match SignedCheckpoint::from_json(&record.value) {
            Ok(checkpoint) => checkpoint,
            Err(rejected) => {
                findings.push(forged(None, None, rejected.to_string()));
                continue;
            }
        };
        let claimed = checkpoint.claimed();
        if claimed.as_ref().is_some_and(|body| !wanted(&body.org)) {
            continue;
        }
        match checkpoint.verify(trusted) {
            Err(rejected) => findings.push(forged(
                claimed.as_ref().map(|b| b.org.clone()),
                claimed.as_ref().map(|b| b.number),
                rejected.to_string(),
            )),
            Ok(body) => {
                let digest = checkpoint.digest();
                let by_number = signed.entry(body.org.clone()).or_default();
                match by_number.get(&body.number) {
                    // The same checkpoint published twice.
                    Some((_, held)) if *held == digest => {}
                    Some(_) => findings.push(forged(
                        Some(body.org.clone()),
                        Some(body.number),
                        "a second, different checkpoint under this number".to_owned(),
                    )),
                    None => {
                        by_number.insert(body.number, (body, digest));
                    }
                }
            }
        }
    }
    signed
}

/// Numbers 1, 2, … with no gap, each naming the one before it.
fn check_numbering(org: &str, by_number: &BTreeMap<u64, (CheckpointBody, String)>, findings: &mut Vec<Finding>) {
    let mut expected = 1;
    let mut previous_digest = Some(super::checkpoint::no_previous());
    for (number, (body, digest)) in by_number {
        for missing in expected..*number {
            findings.push(Finding::MissingCheckpoint { org: org.to_owned(), number: missing });
            previous_digest = None;
        }
        if previous_digest.as_ref().is_some_and(|previous| *previous != body.previous) {
            // What this checkpoint signed as its predecessor is not on the log.
            findings.push(Finding::MissingCheckpoint { org: org.to_owned(), number: number - 1 });
        }
        previous_digest = Some(digest.clone());
        expected = number + 1;
    }
}
