//! What the idempotency store keeps of a request and its answer, sealed
//! with a deployment secret that is not in the database: the request's
//! fingerprint is an HMAC (a bare SHA-256 of a body holding a member's
//! password could be tested against guesses by whoever reads the table),
//! and the answer is encrypted (answers carry link codes and new overlay
//! keys, shown once; they sat in plain text for a day).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::sealing::{derive, SealingKey};

/// Keys derived from the deployment's `idempotency` secret.
#[derive(Clone)]
pub struct Sealer {
    fingerprint_key: [u8; 32],
    answer_key: SealingKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(secret: &[u8; 32]) -> Self {
        Self {
            fingerprint_key: derive(secret, "wavestack idempotency fingerprint v1"),
            answer_key: SealingKey::derive(secret, "wavestack idempotency answer v1"),
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

    /// The answer sealed for `row` (the org and key it is stored under).
    pub fn seal(&self, row: &[u8], answer: &[u8]) -> Vec<u8> {
        self.answer_key.seal(row, answer)
    }

    /// The answer, or `None` when it was not sealed by this secret for `row`.
    pub fn open(&self, row: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        self.answer_key.open(row, sealed)
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
