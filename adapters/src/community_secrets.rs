//! What the community features keep secret, and where: a giveaway's seed
//! until its draw, and the key link codes are digested with. Both live in
//! Postgres tables the log never sees.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use sqlx::PgPool;
use tokio::sync::OnceCell;
use wavestack_domain::giveaway::Seed;
use wavestack_domain::value::{GiveawayStreamId, IdentityStreamId, OrgId};

/// Giveaway seeds: made at open, read at the draw.
#[derive(Debug, Clone)]
pub struct GiveawaySeeds {
    pool: PgPool,
}

impl GiveawaySeeds {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The giveaway's seed, made now if it has none (a retried open keeps
    /// the first one, whose commitment the log may already hold).
    pub async fn seed_for(&self, giveaway: &GiveawayStreamId) -> sqlx::Result<Seed> {
        let mut fresh = [0u8; 32];
        OsRng.fill_bytes(&mut fresh);
        let row: (Vec<u8>,) = sqlx::query_as(
            "INSERT INTO giveaway_seeds (giveaway_stream, seed) VALUES ($1, $2)
             ON CONFLICT (giveaway_stream) DO UPDATE SET seed = giveaway_seeds.seed
             RETURNING seed",
        )
        .bind(giveaway.as_str())
        .bind(fresh.as_slice())
        .fetch_one(&self.pool)
        .await?;
        Ok(Seed::from_bytes(row.0.try_into().map_err(|_| sqlx::Error::Protocol("a seed is 32 bytes".into()))?))
    }

    /// The seed of a redraw's round (`round` > 0), made now if it has none:
    /// the draw before it publishes its commitment, the redraw reveals it.
    /// A retried draw keeps the first seed, whose commitment the log may
    /// already hold.
    pub async fn round_seed_for(&self, giveaway: &GiveawayStreamId, round: u32) -> sqlx::Result<Seed> {
        let mut fresh = [0u8; 32];
        OsRng.fill_bytes(&mut fresh);
        let row: (Vec<u8>,) = sqlx::query_as(
            "INSERT INTO giveaway_round_seeds (giveaway_stream, round, seed) VALUES ($1, $2, $3)
             ON CONFLICT (giveaway_stream, round) DO UPDATE SET seed = giveaway_round_seeds.seed
             RETURNING seed",
        )
        .bind(giveaway.as_str())
        .bind(i32::try_from(round).map_err(|_| sqlx::Error::Protocol("a round past i32".into()))?)
        .bind(fresh.as_slice())
        .fetch_one(&self.pool)
        .await?;
        Ok(Seed::from_bytes(row.0.try_into().map_err(|_| sqlx::Error::Protocol("a seed is 32 bytes".into()))?))
    }

    /// The seed of a redraw's round, if a draw made it.
    pub async fn round_seed_of(&self, giveaway: &GiveawayStreamId, round: u32) -> sqlx::Result<Option<Seed>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT seed FROM giveaway_round_seeds WHERE giveaway_stream = $1 AND round = $2")
                .bind(giveaway.as_str())
                .bind(i32::try_from(round).map_err(|_| sqlx::Error::Protocol("a round past i32".into()))?)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|(bytes,)| bytes.try_into().ok()).map(Seed::from_bytes))
    }

    pub async fn seed_of(&self, giveaway: &GiveawayStreamId) -> sqlx::Result<Option<Seed>> {
        let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT seed FROM giveaway_seeds WHERE giveaway_stream = $1")
            .bind(giveaway.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|(bytes,)| bytes.try_into().ok()).map(Seed::from_bytes))
    }
}

/// Link codes: eight characters from an alphabet without look-alikes
/// (40 bits), digested with a key of the deployment's own.
#[derive(Debug, Clone)]
pub struct LinkCodes {
    pool: PgPool,
    key: std::sync::Arc<OnceCell<[u8; 32]>>,
}

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const CODE_LENGTH: usize = 8;

impl LinkCodes {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, key: std::sync::Arc::new(OnceCell::new()) }
    }

    pub fn new_code() -> String {
        let mut bytes = [0u8; CODE_LENGTH];
        OsRng.fill_bytes(&mut bytes);
        // 256 is a multiple of the alphabet's 32: no bias.
        bytes.iter().map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char).collect()
    }

    async fn key(&self) -> sqlx::Result<[u8; 32]> {
        let key = self
            .key
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                OsRng.fill_bytes(&mut fresh);
                let row: (Vec<u8>,) = sqlx::query_as(
                    "INSERT INTO link_code_key (id, key) VALUES (1, $1)
                     ON CONFLICT (id) DO UPDATE SET key = link_code_key.key RETURNING key",
                )
                .bind(fresh.as_slice())
                .fetch_one(&self.pool)
                .await?;
                row.0.try_into().map_err(|_| sqlx::Error::Protocol("the link code key is 32 bytes".into()))
            })
            .await?;
        Ok(*key)
    }

    /// `hex(HMAC-SHA256(key, org ‖ 0x00 ‖ CODE))`, the code upper-cased and
    /// trimmed: the same code in another org digests differently.
    pub async fn digest(&self, org: &OrgId, code: &str) -> sqlx::Result<String> {
        let key = self.key().await?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(org.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(code.trim().to_ascii_uppercase().as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// The identity stream, within `org`, that most recently issued a code
    /// with this digest.
    pub async fn issuer_of(&self, org: &OrgId, digest: &str) -> sqlx::Result<Option<IdentityStreamId>> {
        let issuer = crate::event_store::reads::link_code_issuer(&self.pool, &format!("{org}/"), digest).await?;
        Ok(issuer.and_then(|id| IdentityStreamId::parse(&id).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_characters_of_the_alphabet_and_differ() {
        let a = LinkCodes::new_code();
        assert_eq!(a.len(), CODE_LENGTH);
        assert!(a.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(a, LinkCodes::new_code());
    }
}
