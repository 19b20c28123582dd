//! Sealing at rest with a deployment secret that is not in the database
//! (`KeyStore::secret`): whoever reads only the database (a backup, the
//! app role) reads nothing sealed. One secret serves several uses, each
//! with a key derived for its purpose, so a value sealed for one use never
//! opens as another's.
//!
//! A sealed value is `nonce ‖ ciphertext ‖ tag` (ChaCha20-Poly1305), bound
//! to the row it is stored under: moved to another row, it does not open.

use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::Sha256;

/// HMAC-SHA256(secret, purpose): one key per use of the one secret.
pub fn derive(secret: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The key of one use.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// The key for `purpose` (a versioned name, e.g. `wavestack platform
    /// tokens v1`) of the deployment's `secret`.
    pub fn derive(secret: &[u8; 32], purpose: &str) -> Self {
        Self(derive(secret, purpose))
    }

    fn key(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.0).expect("a 32-byte ChaCha20 key"))
    }

    /// `plaintext` sealed for `row`, with a fresh nonce.
    pub fn seal(&self, row: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("the system's randomness");
        let mut sealed = plaintext.to_vec();
        self.key()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(row), &mut sealed)
            .expect("a value far below ChaCha20's limit");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// The plaintext, or `None` when it was not sealed with this key for `row`.
    pub fn open(&self, row: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let opened = self.key().open_in_place(nonce, Aad::from(row), &mut body).ok()?;
        Some(opened.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_with_its_secret_its_purpose_and_its_row() {
        let key = SealingKey::derive(&[7; 32], "test v1");
        let sealed = key.seal(b"acme\0row-1", b"oauth-secret");
        assert!(!sealed.windows(12).any(|w| w == b"oauth-secret"), "not in the clear");
        assert_eq!(key.open(b"acme\0row-1", &sealed).unwrap(), b"oauth-secret");
        assert!(key.open(b"rival\0row-1", &sealed).is_none(), "another row's");
        assert!(SealingKey::derive(&[8; 32], "test v1").open(b"acme\0row-1", &sealed).is_none(), "another secret's");
        assert!(SealingKey::derive(&[7; 32], "other v1").open(b"acme\0row-1", &sealed).is_none(), "another use's");
        assert!(key.open(b"acme\0row-1", b"short").is_none());
        assert_ne!(sealed, key.seal(b"acme\0row-1", b"oauth-secret"), "a fresh nonce each time");
    }
}
