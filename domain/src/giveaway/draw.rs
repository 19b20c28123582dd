//! The draw anyone can check. At open, WaveStack publishes the SHA-256 of
//! a secret 32-byte seed (`GiveawayOpened.commitment`); at each draw it
//! reveals the seed (`WinnersDrawn.seed`). The winners are this function of
//! the seed, the round and the entries in the order the log holds them, so
//! anyone with the giveaway's topic can recompute them (`audit`);
//! docs/streamers.md gives the same algorithm in prose.

use sha2::{Digest, Sha256};

/// Domain separation: a seed used elsewhere never yields the same stream.
pub const DRAW_DOMAIN: &[u8] = b"wavestack.giveaway.draw.v1";

/// The 32 bytes committed to at open and revealed at draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl Seed {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// 64 hex digits.
    pub fn parse_hex(raw: &str) -> Option<Self> {
        let bytes = hex::decode(raw).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// `hex(SHA-256(seed))`: what `GiveawayOpened` publishes.
    pub fn commitment(&self) -> String {
        hex::encode(Sha256::digest(self.0))
    }
}

/// The `n`-th uniform number below `bound` (> 0) for one pick: SHA-256 of
/// `DRAW_DOMAIN ‖ seed ‖ round ‖ pick ‖ counter` (big-endian u32s), its first
/// 8 bytes as a big-endian u64, rejected and retried with the next counter
/// when it falls in the last partial block, so every value is equally likely.
pub fn uniform(seed: &Seed, round: u32, pick: u32, bound: u64) -> u64 {
    assert!(bound > 0, "a draw needs a positive total weight");
    let zone = u64::MAX - (u64::MAX % bound + 1) % bound;
    for counter in 0u32.. {
        let mut hash = Sha256::new();
        hash.update(DRAW_DOMAIN);
        hash.update(seed.0);
        hash.update(round.to_be_bytes());
        hash.update(pick.to_be_bytes());
        hash.update(counter.to_be_bytes());
        let digest = hash.finalize();
        let x = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        if x <= zone {
            return x % bound;
        }
    }
    unreachable!("a u32 of counters never all land in the rejected block")
}

/// Picks up to `count` winners for round `round`: entries are
/// `(weight, eligible)` in log order; each pick draws a number below the
/// eligible entries' total weight and walks them in order, the winner being
/// the first whose running total exceeds it. A winner is ineligible for the
/// picks after it. Returns the winners' indices into `entries`.
pub fn pick_winners(seed: &Seed, round: u32, count: u32, entries: &[(u64, bool)]) -> Vec<usize> {
    let mut eligible: Vec<bool> = entries.iter().map(|(_, ok)| *ok).collect();
    let mut winners = Vec::new();
    for pick in 0..count {
        let total: u64 = entries.iter().zip(&eligible).filter(|(_, ok)| **ok).map(|((w, _), _)| *w).sum();
        if total == 0 {
            break;
        }
        let target = uniform(seed, round, pick, total);
        let mut running = 0;
        for (index, ((weight, _), ok)) in entries.iter().zip(&eligible).enumerate() {
            if !*ok {
                continue;
            }
            running += weight;
            if running > target {
                winners.push(index);
                eligible[index] = false;
                break;
            }
        }
    }
    winners
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(byte: u8) -> Seed {
        Seed::from_bytes([byte; 32])
    }

    #[test]
    fn the_commitment_is_the_seeds_sha256_and_hex_round_trips() {
        let s = seed(7);
        assert_eq!(Seed::parse_hex(&s.to_hex()), Some(s));
        assert_eq!(s.commitment().len(), 64);
        assert_ne!(s.commitment(), seed(8).commitment());
        assert_eq!(Seed::parse_hex("abc"), None);
    }

    #[test]
    fn a_published_vector_so_independent_verifiers_can_check_themselves() {
        // Recomputed by hand in docs/streamers.md's words: sha256(domain ‖ 32×0x00 ‖
        // 0u32 ‖ 0u32 ‖ 0u32), first 8 bytes big-endian, modulo 10.
        let mut hash = Sha256::new();
        hash.update(DRAW_DOMAIN);
        hash.update([0u8; 32]);
        hash.update([0u8; 12]);
        let x = u64::from_be_bytes(hash.finalize()[..8].try_into().unwrap());
        assert_eq!(uniform(&seed(0), 0, 0, 10), x % 10);
    }

    #[test]
    fn the_readmes_worked_example_holds() {
        // docs/streamers.md, "The draw anyone can check": an independent Python
        // implementation of the prose gives these.
        let seed = seed(0x2a);
        assert_eq!(seed.commitment(), "544e62cee8033709e389e5b2755343d0d0fa8c4850215cfb6331717e80d1aea3");
        assert_eq!(uniform(&Seed::from_bytes([0; 32]), 0, 0, 10), 1);
        let weights = [1, 1, 2, 1, 1];
        let entries: Vec<(u64, bool)> = weights.iter().map(|w| (*w, true)).collect();
        assert_eq!(pick_winners(&seed, 0, 2, &entries), vec![3, 2]);
        let after: Vec<(u64, bool)> = weights.iter().enumerate().map(|(i, w)| (*w, i != 3 && i != 2)).collect();
        assert_eq!(pick_winners(&seed, 1, 1, &after), vec![1]);
    }

    #[test]
    fn same_inputs_same_winners_and_no_one_wins_twice() {
        let entries = vec![(1, true); 50];
        let a = pick_winners(&seed(1), 0, 10, &entries);
        assert_eq!(a, pick_winners(&seed(1), 0, 10, &entries));
        let mut unique = a.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_ne!(a, pick_winners(&seed(2), 0, 10, &entries), "another seed, another draw");
        assert_ne!(a, pick_winners(&seed(1), 1, 10, &entries), "another round, another draw");
    }

    #[test]
    fn ineligible_entries_never_win_and_an_exhausted_pool_stops() {
        let entries = vec![(1, false), (3, true), (1, false)];
        assert_eq!(pick_winners(&seed(3), 0, 5, &entries), vec![1]);
        assert!(pick_winners(&seed(3), 0, 5, &[(1, false)]).is_empty());
    }

    #[test]
    fn weights_shift_the_odds_in_proportion() {
        // Entry 0 weighs 3, entry 1 weighs 1: over many seeds entry 0 wins
        // about three times in four.
        let entries = [(3, true), (1, true)];
        let wins = (0..4000u32)
            .filter(|i| {
                let mut bytes = [0u8; 32];
                bytes[..4].copy_from_slice(&i.to_be_bytes());
                pick_winners(&Seed::from_bytes(bytes), 0, 1, &entries) == vec![0]
            })
            .count();
        assert!((2800..3200).contains(&wins), "{wins} of 4000");
    }

    #[test]
    fn uniform_stays_below_its_bound_at_the_edges() {
        for bound in [1, 2, 3, u64::MAX / 2 + 1, u64::MAX] {
            for round in 0..20 {
                assert!(uniform(&seed(9), round, 0, bound) < bound);
            }
        }
    }
}
