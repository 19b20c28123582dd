//! Verifying an argon2 hash in working memory kept for the purpose (about
//! 19 MiB per verification with the default parameters) rather than
//! allocated each time: blocks of that size, freed on the blocking pool's
//! many threads, stayed in the allocator's per-thread arenas, so a burst
//! of logins grew the process by hundreds of MiB that it never gave back.
//! The password doors let only a few verifications run at once
//! (`http::PasswordGate`), so a few kept buffers serve them all.

use std::sync::Mutex;

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Buffers kept for reuse: one per verification the doors allow at once.
const KEPT: usize = 4;

static KEPT_BUFFERS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

fn kept() -> std::sync::MutexGuard<'static, Vec<Vec<Block>>> {
    KEPT_BUFFERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether `secret` matches the PHC string `encoded`. CPU-bound: call it
/// off the async executor.
pub(crate) fn verify(encoded: &str, secret: &[u8]) -> bool {
    let mut memory = kept().pop().unwrap_or_default();
    let matches = verify_in(encoded, secret, &mut memory);
    // Nothing derived from the secret stays behind in a kept buffer.
    memory.fill(Block::new());
    let mut kept = kept();
    if kept.len() < KEPT {
        kept.push(memory);
    }
    matches
}

fn verify_in(encoded: &str, secret: &[u8], memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(encoded) else { return false };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(hash.algorithm), Params::try_from(&hash)) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    memory.resize(params.block_count(), Block::new());
    let mut computed = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    if argon2.hash_password_into_with_memory(secret, salt, &mut computed, &mut memory[..]).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&computed).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, SaltString};

    use super::*;

    #[test]
    fn agrees_with_the_crates_own_verification_and_reuses_its_buffers() {
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let encoded = Argon2::default().hash_password(b"correct horse", &salt).unwrap().to_string();
        for _ in 0..3 {
            assert!(verify(&encoded, b"correct horse"));
            assert!(!verify(&encoded, b"wrong horse"));
        }
        assert!(!verify("not a hash", b"correct horse"));
        assert!(kept().len() <= KEPT);
        // A hash with other parameters (a smaller cost) verifies too.
        let light = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).unwrap());
        let encoded = light.hash_password(b"pw", &salt).unwrap().to_string();
        assert!(verify(&encoded, b"pw") && !verify(&encoded, b"px"));
    }
}
