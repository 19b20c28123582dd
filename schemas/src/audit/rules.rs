//! `audit verify --rules`: the economy's decisions replayed from the log,
//! naming every event that the rules could not have produced from the
//! state before it. The chain and the signatures prove that the log is
//! the one that was written; these prove that what was written follows
//! the rules, so an owner who edits a balance in the store (a snapshot,
//! a cache) and lets the next event carry it to the log is caught even
//! though that event is then chained and signed like any other.
//!
//! Per viewer's stream, in sequence order (up to a gap, which is a finding
//! of its own):
//!
//! - `balance_does_not_follow`: every balance move's new balance is the
//!   one before it plus or minus the points moved;
//! - `settled_twice`: a transfer credited, a price refunded or a use
//!   decided a second time (the aggregates' once keys);
//! - `refund_without_price`: a price refunded that the stream never took,
//!   or took at another amount, or an entry's price refunded more often
//!   than it was paid;
//! - `credit_without_debit`: a transfer credited that no viewer's stream
//!   debited, or debited to someone else or at another amount.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use wavestack_domain::aggregate::Decider;
use wavestack_domain::chat::{ChatEvent, ChatState};
use wavestack_domain::chat_command::CommandUseState;
use wavestack_domain::value::ChatStreamId;

use super::verify::Stream;
use crate::envelope::{LogEnvelope, LogEvent};

/// An event the rules could not have produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    #[serde(flatten)]
    pub stream: Stream,
    pub sequence: u64,
    pub event: String,
    /// A stable code (the list above).
    pub rule: &'static str,
    pub detail: String,
}

/// Every stream's events by sequence, as the log holds them.
pub(super) fn check<'a>(streams: impl Iterator<Item = (&'a Stream, &'a BTreeMap<u64, LogEnvelope>)>) -> Vec<Broken> {
    let streams: Vec<_> = streams.collect();
    let debits = debits(&streams);
    let mut broken = Vec::new();
    for (stream, events) in streams {
        let mut viewer = ViewerRules::default();
        let mut once: HashSet<String> = HashSet::new();
        for (expected, (sequence, envelope)) in (1..).zip(events) {
            // After a gap the state before an event is unknown.
            if *sequence != expected {
                break;
            }
            let mut breaks = |rule: &'static str, detail: String| {
                broken.push(Broken {
                    stream: stream.clone(),
                    sequence: *sequence,
                    event: envelope.event.name().to_owned(),
                    rule,
                    detail,
                })
            };
            let key = match &envelope.event {
                LogEvent::Chat(event) => <ChatState as Decider>::once_key(event),
                LogEvent::CommandUse(event) => <CommandUseState as Decider>::once_key(event),
                _ => None,
            };
            if let Some(key) = key {
                if !once.insert(key.clone()) {
                    breaks("settled_twice", format!("`{key}` was settled before in this stream"));
                }
            }
            if let LogEvent::Chat(event) = &envelope.event {
                viewer.check(&envelope.aggregate_id, event, &debits, &mut breaks);
            }
        }
    }
    broken
}

/// What a viewer's stream holds so far: its balance and open prices.
#[derive(Default)]
struct ViewerRules {
    balance: u64,
    /// Prices taken and not refunded, by message.
    spends: HashMap<String, u64>,
    /// Entry prices paid and not refunded, by giveaway: (points, how many).
    entries: HashMap<String, (u64, u32)>,
}

impl ViewerRules {
    fn check(
        &mut self,
        aggregate_id: &str,
        event: &ChatEvent,
        debits: &HashMap<uuid::Uuid, (String, u64)>,
        breaks: &mut impl FnMut(&'static str, String),
    ) {
        match event {
            ChatEvent::PointsSpent(e) => {
                self.spends.insert(e.message_id.to_string(), e.points);
            }
            ChatEvent::PointsRefunded(e) => match self.spends.remove(e.message_id.as_str()) {
                Some(points) if points == e.points => {}
                Some(points) => breaks(
                    "refund_without_price",
                    format!("{} points refunded for message {}, which cost {points}", e.points, e.message_id),
                ),
                None => breaks(
                    "refund_without_price",
                    format!("{} points refunded for message {}, whose price is not open", e.points, e.message_id),
                ),
            },
            ChatEvent::EntryPaid(e) => {
                let paid = self.entries.entry(e.giveaway_id.to_string()).or_insert((e.points, 0));
                paid.1 += 1;
            }
            ChatEvent::EntryRefunded(e) => match self.entries.get_mut(&e.giveaway_id.to_string()) {
                Some((points, open)) if *open > 0 && *points == e.points => *open -= 1,
                _ => breaks(
                    "refund_without_price",
                    format!(
                        "{} points refunded for giveaway {}, with no such entry price open",
                        e.points, e.giveaway_id
                    ),
                ),
            },
            ChatEvent::PointsReceived(e) => {
                let receiver = ChatStreamId::parse(aggregate_id).map(|s| s.user().to_string()).unwrap_or_default();
                match debits.get(&e.transfer_id) {
                    Some((to, points)) if *to == receiver && *points == e.points => {}
                    Some((to, points)) => breaks(
                        "credit_without_debit",
                        format!(
                            "transfer {} credits {} points here; it debited {points} for {to}",
                            e.transfer_id, e.points
                        ),
                    ),
                    None => breaks(
                        "credit_without_debit",
                        format!("transfer {} was debited from no viewer on the log", e.transfer_id),
                    ),
                }
            }
            _ => {}
        }
        let Some((moved, balance)) = event.balance_change() else { return };
        let expected = if moved >= 0 {
            Some(self.balance.saturating_add(moved.unsigned_abs()))
        } else {
            self.balance.checked_sub(moved.unsigned_abs())
        };
        if expected != Some(balance) {
            let before = self.balance;
            let expected = expected.map_or_else(|| "less than nothing".to_owned(), |b| b.to_string());
            breaks(
                "balance_does_not_follow",
                format!("balance {balance} after {moved:+} from {before} (expected {expected})"),
            );
        }
        // The stream goes on from what it wrote, so one break is named once.
        self.balance = balance;
    }
}

/// Every transfer debited on the log: its receiver's user id and points.
fn debits(streams: &[(&Stream, &BTreeMap<u64, LogEnvelope>)]) -> HashMap<uuid::Uuid, (String, u64)> {
    streams
        .iter()
        .flat_map(|(_, events)| events.values())
        .filter_map(|envelope| match &envelope.event {
            LogEvent::Chat(ChatEvent::PointsSent(sent)) => {
                Some((sent.transfer_id, (sent.to_user_id.to_string(), sent.points)))
            }
            _ => None,
        })
        .collect()
}
