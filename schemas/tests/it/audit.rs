//! The audit chain's encoding and `verify` over logs a tamperer could
//! produce, with no broker: each kind of discrepancy is named with its
//! stream and sequence, and a clean log (redeliveries included) holds.

use std::collections::BTreeSet;

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wavestack_domain::chat::{ChatEvent, PointsAwarded};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, OrgId, Timestamp};
use wavestack_schemas::audit::chain::{self, canonical_fields};
use wavestack_schemas::audit::checkpoint::no_previous;
use wavestack_schemas::audit::{
    link, verify, CheckpointBody, CheckpointRecord, EventRecord, Finding, StreamHead, VerifyReport, GENESIS,
};
use wavestack_schemas::{LogEnvelope, LogEvent};

fn event(stream: &str, sequence: u64, points: u64) -> LogEnvelope {
    LogEnvelope {
        event_id: Uuid::from_u128(u128::from(sequence) << 8 | u128::from(stream.len() as u8)),
        aggregate_id: stream.to_owned(),
        sequence,
        hash: String::new(),
        metadata: EventMetadata {
            org: OrgId::parse("acme").unwrap(),
            actor: ActorId::parse("svc:test").unwrap(),
            correlation_id: Uuid::from_u128(7),
            causation_id: None,
            request_id: Some("req-1".to_owned()),
            occurred_at: Timestamp::from_unix_micros(1_700_000_000_000_000 + sequence as i64).unwrap(),
        },
        event: LogEvent::Chat(ChatEvent::PointsAwarded(PointsAwarded {
            points,
            balance: points * 10,
            awarded_at: Timestamp::from_unix_micros(1_700_000_000_000_000).unwrap(),
        })),
    }
}

fn history(stream: &str, n: u64) -> Vec<LogEnvelope> {
    (1..=n).map(|s| event(stream, s, s)).collect()
}

fn head(events: &[LogEnvelope], through: u64) -> StreamHead {
    let mut chain = GENESIS;
    for e in events.iter().filter(|e| e.sequence <= through) {
        chain = link(&chain, e);
    }
    StreamHead {
        aggregate_type: "chat".to_owned(),
        aggregate_id: events[0].aggregate_id.clone(),
        sequence: through,
        chain: chain::to_hex(&chain),
    }
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Checkpoints signing `heads` in turn, chained, as the checkpointer makes them.
fn checkpoints(signer: &SigningKey, rounds: Vec<Vec<StreamHead>>) -> Vec<CheckpointRecord> {
    let mut previous = no_previous();
    rounds
        .into_iter()
        .enumerate()
        .map(|(i, heads)| {
            let body = CheckpointBody {
                version: 1,
                org: "acme".to_owned(),
                number: i as u64 + 1,
                previous: previous.clone(),
                signed_at: "2026-12-03T00:00:00Z".to_owned(),
                public_key: hex::encode(signer.verifying_key().as_bytes()),
                heads,
            };
            let signed = body.sign(signer);
            previous = signed.digest();
            CheckpointRecord { partition: 0, offset: i as i64, value: signed.to_json().into_bytes() }
        })
        .collect()
}

fn run(log: Vec<LogEnvelope>, checkpoints: Vec<CheckpointRecord>) -> VerifyReport {
    verify(
        log.into_iter().map(|e| EventRecord::Decoded(Box::new(e))),
        checkpoints,
        &key().verifying_key(),
        &BTreeSet::new(),
    )
}

/// Two streams, signed at 4 and at 8.
fn signed() -> (Vec<LogEnvelope>, Vec<CheckpointRecord>) {
    let (a, b) = (history("acme/a", 8), history("acme/b", 8));
    let checkpoints = checkpoints(&key(), vec![vec![head(&a, 4), head(&b, 4)], vec![head(&a, 8), head(&b, 8)]]);
    (a.into_iter().chain(b).collect(), checkpoints)
}

#[test]
fn a_link_is_the_documented_encoding() {
    let e = event("acme/a", 1, 5);
    let fields = canonical_fields(&e);
    assert_eq!(fields[1], "chat");
    assert_eq!(fields[4], "PointsAwarded");
    assert_eq!(fields[5], "1700000000000001");
    assert_eq!(
        fields[6],
        r#"{"actor":"svc:test","causation_id":null,"correlation_id":"00000000-0000-0000-0000-000000000007","org":"acme","request_id":"req-1"}"#
    );
    // Keys sorted, no whitespace.
    assert_eq!(fields[7], r#"{"awarded_at":"2023-11-14T22:13:20Z","balance":50,"points":5}"#);
    let mut by_hand = Sha256::new();
    by_hand.update(b"wavestack.chain.v1");
    by_hand.update([0u8; 32]);
    for field in &fields {
        by_hand.update((field.len() as u32).to_be_bytes());
        by_hand.update(field.as_bytes());
    }
    assert_eq!(link(&GENESIS, &e), <[u8; 32]>::from(by_hand.finalize()));
}

#[test]
fn a_clean_log_with_redeliveries_verifies() {
    let (mut log, checkpoints) = signed();
    log.insert(3, log[2].clone());
    let report = run(log, checkpoints);
    assert!(report.holds(), "{:?}", report.findings);
    assert_eq!((report.events, report.streams, report.checkpoints, report.unvouched_events), (17, 2, 2, 0));
}

#[test]
fn an_edit_is_placed_between_the_checkpoints_around_it() {
    let (mut log, checkpoints) = signed();
    log[5] = event("acme/a", 6, 600);
    let findings = run(log, checkpoints).findings;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(matches!(&findings[0], Finding::Edited { stream, from: 5, through: 8 } if stream.aggregate_id == "acme/a"));
}

#[test]
fn a_second_version_of_an_event_conflicts() {
    let (mut log, checkpoints) = signed();
    log.push(event("acme/b", 2, 200));
    let findings = run(log, checkpoints).findings;
    assert!(matches!(&findings[0], Finding::Conflicting { stream, sequence: 2 } if stream.aggregate_id == "acme/b"));
}

#[test]
fn a_missing_event_a_reordering_a_truncation_and_a_missing_stream_are_named() {
    let (log, checkpoints) = signed();
    let mut tampered: Vec<LogEnvelope> =
        log.into_iter().filter(|e| !(e.aggregate_id == "acme/a" && e.sequence == 3)).collect();
    tampered.retain(|e| e.aggregate_id == "acme/a");
    tampered.swap(4, 5); // a's 6 and 7
    tampered.retain(|e| e.sequence <= 7);
    let findings = run(tampered, checkpoints).findings;
    let stream = |f: &Finding| match f {
        Finding::Missing { stream, .. }
        | Finding::Reordered { stream, .. }
        | Finding::TruncatedTail { stream, .. }
        | Finding::MissingStream { stream, .. }
        | Finding::Edited { stream, .. } => stream.aggregate_id.clone(),
        _ => String::new(),
    };
    assert!(findings.iter().any(|f| matches!(f, Finding::Missing { sequence: 3, .. }) && stream(f) == "acme/a"));
    assert!(findings.iter().any(|f| matches!(f, Finding::Reordered { sequence: 6, after: 7, .. })));
    assert!(findings.iter().any(|f| matches!(f, Finding::TruncatedTail { sequence: 8, through: 8, .. })));
    assert!(findings.iter().any(|f| matches!(f, Finding::MissingStream { through: 8, .. }) && stream(f) == "acme/b"));
}

#[test]
fn a_checkpoint_signed_by_another_key_or_dropped_is_found() {
    let (log, mut records) = signed();
    let (a, b) = (history("acme/a", 8), history("acme/b", 8));
    let theirs = SigningKey::from_bytes(&[7; 32]);
    // Their own chain of checkpoints: rejected, every one.
    let forged = checkpoints(&theirs, vec![vec![head(&a, 4)], vec![head(&b, 8)]]);
    records.extend(forged);
    let findings = run(log.clone(), records).findings;
    assert_eq!(findings.iter().filter(|f| matches!(f, Finding::ForgedCheckpoint { .. })).count(), 2, "{findings:?}");

    // Checkpoint 2 of 3 dropped from the topic.
    let mut records = checkpoints(&key(), vec![vec![head(&a, 2)], vec![head(&a, 4)], vec![head(&a, 8), head(&b, 8)]]);
    records.remove(1);
    let findings = run(log, records).findings;
    assert_eq!(findings, vec![Finding::MissingCheckpoint { org: "acme".to_owned(), number: 2 }]);
}

#[test]
fn an_org_asked_for_with_no_checkpoint_is_a_finding() {
    let (log, _) = signed();
    let orgs = BTreeSet::from(["acme".to_owned()]);
    let report =
        verify(log.into_iter().map(|e| EventRecord::Decoded(Box::new(e))), Vec::new(), &key().verifying_key(), &orgs);
    assert_eq!(report.findings, vec![Finding::MissingCheckpoint { org: "acme".to_owned(), number: 1 }]);
    assert_eq!(report.unvouched_events, 16);
}

/// Issue 26, item 10: with its last checkpoints withheld, a log still
/// verified clean: every signature on what remained held. An auditor's
/// anchor (a checkpoint number known to exist) names the withholding.
#[test]
fn withheld_last_checkpoints_are_named_against_the_auditors_anchor() {
    let (log, mut records) = signed();
    let mut whole = run(log.clone(), checkpoints(&key(), vec![vec![], vec![]]));
    assert_eq!(whole.latest_checkpoints.get("acme"), Some(&2), "what an auditor notes");
    records.pop();
    let mut withheld = run(log, records);
    assert!(withheld.holds(), "without an anchor, nothing shows: {:?}", withheld.findings);
    let anchors = std::collections::BTreeMap::from([("acme".to_owned(), 2)]);
    withheld.hold_to(&anchors);
    assert_eq!(
        withheld.findings,
        vec![Finding::WithheldCheckpoints { org: "acme".to_owned(), latest: 1, expected: 2 }]
    );
    whole.hold_to(&anchors);
    assert!(whole.holds(), "{:?}", whole.findings);
}
