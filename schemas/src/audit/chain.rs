//! The audit chain: one SHA-256 chain per stream over a canonical byte
//! encoding of each event as the log carries it, so that anyone holding
//! the log can recompute it with no WaveStack code and no database.
//!
//! ```text
//! chain(0) = 32 zero bytes
//! chain(n) = SHA-256( "wavestack.chain.v1" || chain(n-1)
//!                     || F(event_id) || F(aggregate_type) || F(aggregate_id)
//!                     || F(sequence) || F(event_type) || F(occurred_at)
//!                     || F(metadata) || F(payload) )
//! F(text) = the UTF-8 byte length of text as 4 bytes big-endian || text
//! ```
//!
//! - `event_id`: the UUID in lowercase hyphenated form;
//! - `sequence`, `occurred_at`: decimal integers (`occurred_at` in
//!   microseconds since the Unix epoch, UTC);
//! - `metadata`: the JSON object `{actor, causation_id, correlation_id,
//!   org, request_id}` (absent ids are `null`);
//! - `payload`: the event's fields as a JSON object, as the audit log and
//!   the exports show them;
//! - both JSON texts are canonical: object keys sorted by code point, no
//!   whitespace, strings escaped as `serde_json` (and Python's
//!   `json.dumps(…, sort_keys=True, separators=(",", ":"),
//!   ensure_ascii=False)`) write them.
//!
//! `chain(n-1)` is the chain of the event before it in the stream, so a
//! changed, dropped or moved event changes every link after it: one head,
//! signed in a checkpoint, vouches for the whole stream up to it.

use sha2::{Digest, Sha256};

use crate::envelope::LogEnvelope;

/// The domain tag that starts every link, so a chain hash can never be
/// mistaken for a hash of anything else.
const TAG: &[u8] = b"wavestack.chain.v1";

/// A link of a stream's chain.
pub type ChainHash = [u8; 32];

/// The chain before a stream's first event.
pub const GENESIS: ChainHash = [0; 32];

/// `chain(n)` from `chain(n-1)` and event n.
pub fn link(previous: &ChainHash, envelope: &LogEnvelope) -> ChainHash {
    link_with_payload(previous, envelope, &envelope.event.payload_json())
}

/// As `link`, with the event's `payload_json()` already at hand (the audit
/// projection stores it too, and makes it once).
pub fn link_with_payload(previous: &ChainHash, envelope: &LogEnvelope, payload: &serde_json::Value) -> ChainHash {
    let mut hash = Sha256::new();
    hash.update(TAG);
    hash.update(previous);
    for field in fields_with_payload(envelope, payload) {
        hash.update((field.len() as u32).to_be_bytes());
        hash.update(field.as_bytes());
    }
    hash.finalize().into()
}

/// The eight fields of the encoding, in their order.
pub fn canonical_fields(envelope: &LogEnvelope) -> [String; 8] {
    fields_with_payload(envelope, &envelope.event.payload_json())
}

fn fields_with_payload(envelope: &LogEnvelope, payload: &serde_json::Value) -> [String; 8] {
    let m = &envelope.metadata;
    let metadata = serde_json::json!({
        "actor": m.actor.as_str(),
        "causation_id": m.causation_id.map(|id| id.to_string()),
        "correlation_id": m.correlation_id.to_string(),
        "org": m.org.as_str(),
        "request_id": m.request_id,
    });
    [
        envelope.event_id.hyphenated().to_string(),
        envelope.event.kind().aggregate_type().to_owned(),
        envelope.aggregate_id.clone(),
        envelope.sequence.to_string(),
        envelope.event.name().to_owned(),
        m.occurred_at.unix_micros().to_string(),
        metadata.to_string(),
        payload.to_string(),
    ]
}

pub fn to_hex(hash: &ChainHash) -> String {
    hex::encode(hash)
}

pub fn from_hex(raw: &str) -> Option<ChainHash> {
    hex::decode(raw).ok()?.try_into().ok()
}
