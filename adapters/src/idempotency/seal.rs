//! What the idempotency store keeps of a request and its answer, sealed
//! with a deployment secret that is not in the database: the request's
//! fingerprint is an HMAC (a bare SHA-256 of a body holding a member's
//! password could be tested against guesses by whoever reads the table),
//! and the answer is encrypted (answers carry link codes and new overlay
//! keys, shown once; they sat in plain text for a day).

use hmac::{Hmac, Mac};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::Sha256;

/// Keys derived from the deployment's `idempotency` secret.
#[derive(Clone)]
pub struct Sealer {
    fingerprint_key: [u8; 32],
    answer_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

/// HMAC-SHA256(secret, purpose): one key per use of the one secret.
fn derive(secret: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Sealer {
    pub fn new(secret: &[u8; 32]) -> Self {
        Self {
            fingerprint_key: derive(secret, "wavestack idempotency fingerprint v1"),
            answer_key: derive(secret, "wavestack idempotency answer v1"),
        }
    }

    /// Of one request: its method, path and body.
    pub fn fingerprint(&self, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.fingerprint_key).expect("HMAC takes any key length");
        mac.update(method.as_bytes());
        mac.update(&[0]);
        mac.update(path.as_bytes());
        mac.update(&[0]);
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    fn key(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &self.answer_key).expect("a 32-byte ChaCha20 key"))
    }

    /// `nonce ‖ ciphertext ‖ tag`, bound to `row` (the org and key it is
    /// stored under: moved to another row, it does not open).
    pub fn seal(&self, row: &[u8], answer: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("the system's randomness");
        let mut sealed = answer.to_vec();
        self.key()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(row), &mut sealed)
            .expect("an answer far below ChaCha20's limit");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// The answer, or `None` when it was not sealed by this secret for `row`.
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
    fn an_answer_opens_only_with_its_secret_and_its_row() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal(b"acme\0key-1", br#"{"key":"ovk_secret"}"#);
        assert!(!sealed.windows(10).any(|w| w == b"ovk_secret"), "not in the clear");
        assert_eq!(sealer.open(b"acme\0key-1", &sealed).unwrap(), br#"{"key":"ovk_secret"}"#);
        assert!(sealer.open(b"rival\0key-1", &sealed).is_none(), "another row's");
        assert!(Sealer::new(&[8; 32]).open(b"acme\0key-1", &sealed).is_none(), "another deployment's");
        assert!(sealer.open(b"acme\0key-1", br#"{"key":"ovk_plain"}"#).is_none(), "an unsealed answer");
        assert_ne!(sealed, sealer.seal(b"acme\0key-1", br#"{"key":"ovk_secret"}"#), "a fresh nonce each time");
    }

    #[test]
    fn a_fingerprint_is_keyed() {
        let (a, b) = (Sealer::new(&[1; 32]), Sealer::new(&[2; 32]));
        let body = br#"{"password":"hunter2"}"#;
        assert_eq!(a.fingerprint("POST", "/v1/team/password", body), a.fingerprint("POST", "/v1/team/password", body));
        assert_ne!(a.fingerprint("POST", "/v1/team/password", body), b.fingerprint("POST", "/v1/team/password", body));
        use sha2::Digest;
        let bare = Sha256::new().chain_update("POST\0/v1/team/password\0").chain_update(body).finalize().to_vec();
        assert_ne!(a.fingerprint("POST", "/v1/team/password", body), bare);
    }
}
