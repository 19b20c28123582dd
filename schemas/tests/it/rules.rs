//! `audit verify --rules` over logs a tamperer could write (issue 26,
//! item 21): a chained, signable log whose events break the economy's
//! rules is named event by event; an honest economy holds.

use std::collections::BTreeSet;

use ed25519_dalek::SigningKey;
use uuid::Uuid;
use wavestack_domain::chat::*;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::*;
use wavestack_schemas::audit::{verify_with, Checks, EventRecord, Finding, VerifyReport};
use wavestack_schemas::{LogEnvelope, LogEvent};

const ADA: &str = "acme/twitch/chan/ada";
const BOB: &str = "acme/twitch/chan/bob";

fn at() -> Timestamp {
    Timestamp::from_unix_micros(1_700_000_000_000_000).unwrap()
}

fn envelope(stream: &str, sequence: u64, event: ChatEvent) -> LogEnvelope {
    LogEnvelope {
        event_id: Uuid::new_v4(),
        aggregate_id: stream.to_owned(),
        sequence,
        hash: String::new(),
        metadata: EventMetadata {
            org: OrgId::parse("acme").unwrap(),
            actor: ActorId::parse("svc:test").unwrap(),
            correlation_id: Uuid::from_u128(7),
            causation_id: None,
            request_id: None,
            occurred_at: at(),
        },
        event: LogEvent::Chat(event),
    }
}

fn message(id: &str) -> MessageId {
    MessageId::parse(id).unwrap()
}

fn transfer() -> Uuid {
    Uuid::from_u128(42)
}

fn giveaway() -> GiveawayId {
    GiveawayId::from_uuid(Uuid::from_u128(9))
}

/// Ada earns 10, gives Bob 3, pays 2 for a command that is refused and
/// refunded, pays 1 to enter a giveaway that is cancelled; Bob is credited.
fn honest() -> Vec<LogEnvelope> {
    let ada = [
        ChatEvent::PointsAwarded(PointsAwarded { points: 10, balance: 10, awarded_at: at() }),
        ChatEvent::PointsSent(PointsSent {
            transfer_id: transfer(),
            message_id: message("g1"),
            to_user_id: PlatformUserId::parse("bob").unwrap(),
            points: 3,
            balance: 7,
        }),
        ChatEvent::PointsSpent(PointsSpent {
            message_id: message("c1"),
            command: CommandName::parse("hug").unwrap(),
            points: 2,
            balance: 5,
        }),
        ChatEvent::PointsRefunded(PointsRefunded { message_id: message("c1"), points: 2, balance: 7 }),
        ChatEvent::EntryPaid(EntryPaid { giveaway_id: giveaway(), message_id: message("j1"), points: 1, balance: 6 }),
        ChatEvent::EntryRefunded(EntryRefunded { giveaway_id: giveaway(), points: 1, balance: 7 }),
    ];
    let bob = [ChatEvent::PointsReceived(PointsReceived {
        transfer_id: transfer(),
        from_user_id: PlatformUserId::parse("ada").unwrap(),
        points: 3,
        balance: 3,
    })];
    let mut log: Vec<LogEnvelope> = (1..).zip(ada).map(|(n, e)| envelope(ADA, n, e)).collect();
    log.extend((1..).zip(bob).map(|(n, e)| envelope(BOB, n, e)));
    log
}

fn run(log: Vec<LogEnvelope>, checks: Checks) -> VerifyReport {
    verify_with(
        log.into_iter().map(|e| EventRecord::Decoded(Box::new(e))),
        vec![],
        &SigningKey::from_bytes(&[42; 32]).verifying_key(),
        &BTreeSet::new(),
        checks,
    )
}

/// (stream, sequence, rule) of every rule finding.
fn broken(log: Vec<LogEnvelope>) -> Vec<(String, u64, &'static str)> {
    run(log, Checks::ChainAndRules)
        .findings
        .into_iter()
        .filter_map(|f| match f {
            Finding::RuleBroken(b) => Some((b.stream.aggregate_id, b.sequence, b.rule)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_honest_economy_follows_the_rules() {
    assert_eq!(broken(honest()), vec![]);
}

#[test]
fn a_balance_edited_in_the_store_and_carried_by_the_next_event_is_named() {
    let mut log = honest();
    // As issue 26 found it: the store's balance edited to 100,000, and the
    // next award carries it to the log, chained and signed like any other.
    log.insert(
        6,
        envelope(ADA, 7, ChatEvent::PointsAwarded(PointsAwarded { points: 1, balance: 100_001, awarded_at: at() })),
    );
    log.insert(
        7,
        envelope(ADA, 8, ChatEvent::PointsAwarded(PointsAwarded { points: 1, balance: 100_002, awarded_at: at() })),
    );
    assert_eq!(broken(log.clone()), vec![(ADA.to_owned(), 7, "balance_does_not_follow")], "named once, where it broke");
    // Without --rules the chain is all an auditor checks: it holds.
    assert!(run(log, Checks::Chain).findings.is_empty());
}

#[test]
fn a_credit_with_no_debit_a_refund_of_nothing_and_a_second_settlement_are_named() {
    let mut log = honest();
    // Bob credited a transfer nobody debited.
    log.push(envelope(
        BOB,
        2,
        ChatEvent::PointsReceived(PointsReceived {
            transfer_id: Uuid::from_u128(43),
            from_user_id: PlatformUserId::parse("ada").unwrap(),
            points: 50,
            balance: 53,
        }),
    ));
    // Bob credited the same transfer again.
    log.push(envelope(
        BOB,
        3,
        ChatEvent::PointsReceived(PointsReceived {
            transfer_id: transfer(),
            from_user_id: PlatformUserId::parse("ada").unwrap(),
            points: 3,
            balance: 56,
        }),
    ));
    // Ada refunded a price again, and an entry she no longer has open.
    log.push(envelope(
        ADA,
        7,
        ChatEvent::PointsRefunded(PointsRefunded { message_id: message("c1"), points: 2, balance: 9 }),
    ));
    log.push(envelope(
        ADA,
        8,
        ChatEvent::EntryRefunded(EntryRefunded { giveaway_id: giveaway(), points: 1, balance: 10 }),
    ));
    let mut found = broken(log);
    found.sort();
    assert_eq!(
        found,
        vec![
            (ADA.to_owned(), 7, "refund_without_price"),
            (ADA.to_owned(), 7, "settled_twice"),
            (ADA.to_owned(), 8, "refund_without_price"),
            (BOB.to_owned(), 2, "credit_without_debit"),
            (BOB.to_owned(), 3, "settled_twice"),
        ]
    );
}
