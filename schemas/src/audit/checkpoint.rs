//! Signed checkpoints: at an interval, the checkpointer signs the chain
//! heads of an org's streams that moved since its last checkpoint, with an
//! Ed25519 key kept outside the database, and publishes the result to
//! `wavestack.audit.checkpoints.v1` (key: the org).
//!
//! A record's value is the JSON object `{"body": "<text>", "signature":
//! "<hex>"}`. The signature is Ed25519 over the UTF-8 bytes of `body`
//! exactly as they stand, so a verifier checks it before parsing anything.
//! `body` is the JSON of [`CheckpointBody`]. Checkpoints form a chain of
//! their own: each names the SHA-256 of the previous one's body text, so a
//! checkpoint dropped from the topic is seen at the next one.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where checkpoints are published.
pub const CHECKPOINT_TOPIC: &str = "wavestack.audit.checkpoints.v1";

/// What a checkpoint vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointBody {
    /// The format: 1.
    pub version: u32,
    pub org: String,
    /// 1 for the org's first checkpoint, then one more each time.
    pub number: u64,
    /// Hex SHA-256 of the previous checkpoint's body text; 64 zeros for
    /// the first.
    pub previous: String,
    /// RFC 3339, UTC.
    pub signed_at: String,
    /// Hex of the Ed25519 public key that signed it.
    pub public_key: String,
    /// Every stream of the org whose head moved since the previous
    /// checkpoint, sorted by (aggregate type, aggregate id).
    pub heads: Vec<StreamHead>,
}

/// A stream's audit chain up to a sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StreamHead {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    /// Hex of `chain(sequence)`.
    pub chain: String,
}

/// A checkpoint as it travels: the body's exact text and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    pub body: String,
    pub signature: String,
}

/// Why a checkpoint record is not one the trusted key signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointRejected {
    #[error("the record is not a signed checkpoint: {0}")]
    Malformed(String),
    #[error("signed with key {found}, not the trusted {trusted}")]
    OtherKey { found: String, trusted: String },
    #[error("the signature does not verify")]
    BadSignature,
}

/// The `previous` of an org's first checkpoint.
pub fn no_previous() -> String {
    "0".repeat(64)
}

impl CheckpointBody {
    /// The body's text and its signature. The text is what is signed, so
    /// it is written once, here, and never re-serialised.
    pub fn sign(&self, key: &SigningKey) -> SignedCheckpoint {
        let body = serde_json::to_string(self).expect("a checkpoint body serialises");
        let signature = key.sign(body.as_bytes());
        SignedCheckpoint { body, signature: hex::encode(signature.to_bytes()) }
    }
}

impl SignedCheckpoint {
    /// What the next checkpoint names as `previous`.
    pub fn digest(&self) -> String {
        body_digest(&self.body)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a signed checkpoint serialises")
    }

    pub fn from_json(raw: &[u8]) -> Result<Self, CheckpointRejected> {
        serde_json::from_slice(raw).map_err(|e| CheckpointRejected::Malformed(e.to_string()))
    }

    /// The body, once it names `trusted` as its key and the signature
    /// holds under it.
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<CheckpointBody, CheckpointRejected> {
        let body: CheckpointBody =
            serde_json::from_str(&self.body).map_err(|e| CheckpointRejected::Malformed(e.to_string()))?;
        let trusted_hex = hex::encode(trusted.as_bytes());
        if body.public_key != trusted_hex {
            return Err(CheckpointRejected::OtherKey { found: body.public_key, trusted: trusted_hex });
        }
        let signature = hex::decode(&self.signature)
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .ok_or(CheckpointRejected::BadSignature)?;
        trusted.verify(self.body.as_bytes(), &signature).map_err(|_| CheckpointRejected::BadSignature)?;
        Ok(body)
    }

    /// The body without checking anything: to say which org and number a
    /// rejected record claims to be.
    pub fn claimed(&self) -> Option<CheckpointBody> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Hex SHA-256 of a checkpoint's body text: the next one's `previous`.
pub fn body_digest(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// A signing key file holds the 32-byte Ed25519 seed as 64 hex digits.
pub fn signing_key_from_hex(raw: &str) -> Option<SigningKey> {
    let seed: [u8; 32] = hex::decode(raw.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed))
}

/// A public key as 64 hex digits (what `wavestack audit keygen` prints).
pub fn verifying_key_from_hex(raw: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(raw.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}
