//! Recomputing a giveaway's draws from its events alone, as
//! `wavestack audit giveaway` does from the Kafka log: the first draw's
//! seed must hash to the commitment published at open, each redraw's to
//! the one the round before fixed (`next_commitment`; a round logged
//! before that field reuses the opening's seed), and each round's winners
//! must be what `draw::pick_winners` gives for the entries the log holds
//! before it.

use serde::Serialize;

use super::draw::{pick_winners, Seed};
use super::event::{GiveawayEvent, Winner};
use crate::value::Account;

/// What the audit found wrong; nothing means the published winners hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditFinding {
    /// The stream does not begin with `GiveawayOpened`.
    NotOpened,
    /// The revealed seed is not 32 bytes of hex, or its SHA-256 is not the
    /// published commitment.
    SeedMismatch { round: u32, seed: String, commitment: String },
    /// A round number out of sequence.
    RoundOutOfOrder { expected: u32, found: u32 },
    /// The published winners differ from the recomputed ones.
    WinnersMismatch { round: u32, published: Vec<Account>, recomputed: Vec<Account> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub entries: usize,
    pub rounds: u32,
    /// Every round's winners as recomputed.
    pub winners: Vec<Vec<Account>>,
    pub findings: Vec<AuditFinding>,
}

impl AuditReport {
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }
}

/// `events` in stream order.
pub fn audit<'a>(events: impl IntoIterator<Item = &'a GiveawayEvent>) -> AuditReport {
    let mut report = AuditReport { entries: 0, rounds: 0, winners: Vec::new(), findings: Vec::new() };
    let mut commitment: Option<String> = None;
    // What the next round's seed must hash to: the opening's commitment
    // until a draw fixes another.
    let mut next: Option<String> = None;
    // (weight, still eligible, person)
    let mut entries: Vec<(u64, bool, Account)> = Vec::new();
    for event in events {
        match event {
            GiveawayEvent::GiveawayOpened(o) => {
                commitment = Some(o.commitment.clone());
                next = Some(o.commitment.clone());
            }
            _ if commitment.is_none() => {
                report.findings.push(AuditFinding::NotOpened);
                return report;
            }
            GiveawayEvent::EntryAccepted(e) => entries.push((u64::from(e.weight), true, e.person.clone())),
            GiveawayEvent::WinnersDrawn(d) => {
                let expected_commitment = next.clone().or_else(|| commitment.clone()).unwrap_or_default();
                // A draw logged before rounds had their own seeds fixes none:
                // its redraws reuse the opening's seed.
                next = d.next_commitment.clone().or_else(|| commitment.clone());
                if d.round != report.rounds {
                    report.findings.push(AuditFinding::RoundOutOfOrder { expected: report.rounds, found: d.round });
                }
                let seed = Seed::parse_hex(&d.seed).filter(|s| s.commitment() == expected_commitment);
                let Some(seed) = seed else {
                    report.findings.push(AuditFinding::SeedMismatch {
                        round: d.round,
                        seed: d.seed.clone(),
                        commitment: expected_commitment,
                    });
                    report.rounds = d.round + 1;
                    continue;
                };
                let pool: Vec<(u64, bool)> = entries.iter().map(|(w, ok, _)| (*w, *ok)).collect();
                let count = d.winners.len() as u32;
                let recomputed: Vec<usize> = pick_winners(&seed, d.round, count, &pool);
                let recomputed_people: Vec<Account> = recomputed.iter().map(|i| entries[*i].2.clone()).collect();
                let published: Vec<Account> = d.winners.iter().map(|w: &Winner| w.person.clone()).collect();
                if recomputed_people != published {
                    report.findings.push(AuditFinding::WinnersMismatch {
                        round: d.round,
                        published,
                        recomputed: recomputed_people.clone(),
                    });
                }
                // The next rounds go on from what the recomputation says,
                // so one forged round does not hide or fake the next.
                for index in recomputed {
                    entries[index].1 = false;
                }
                report.winners.push(recomputed_people);
                report.rounds = d.round + 1;
            }
            GiveawayEvent::EntryAbandoned(_)
            | GiveawayEvent::GiveawayClosed(_)
            | GiveawayEvent::GiveawayCancelled(_) => {}
        }
    }
    if commitment.is_none() {
        report.findings.push(AuditFinding::NotOpened);
    }
    report.entries = entries.len();
    report
}
