//! Tamper evidence that holds against the database's owner: the audit
//! chain over every event as the log carries it, checkpoints of its heads
//! signed with a key kept outside the database, and the verification an
//! auditor runs from the log alone.

pub mod chain;
pub mod checkpoint;
pub mod rules;
pub mod verify;

pub use chain::{link, link_with_payload, ChainHash, GENESIS};
pub use checkpoint::{CheckpointBody, CheckpointRejected, SignedCheckpoint, StreamHead, CHECKPOINT_TOPIC};
pub use rules::Broken;
pub use verify::{verify, verify_with, CheckpointRecord, Checks, EventRecord, Finding, Stream, VerifyReport};
