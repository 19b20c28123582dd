//! The log's public contract: the Avro schemas under `schemas/avro/`, the
//! Confluent wire-format codec that writes and reads them, and the
//! compatibility rule every new schema version must pass.

pub mod audit;
mod catalog;
mod codec;
mod compatibility;
mod envelope;
mod error;
mod fields;
mod lookup;
mod payload;
mod wire;

pub use catalog::{AggregateKind, SchemaEntry, SchemaIds, CATALOG};
pub use codec::{latest_schema, Codec};
pub use compatibility::{check_backward_transitive, CompatibilityViolation};
pub use envelope::{LogEnvelope, LogEvent};
pub use error::CodecError;
pub use lookup::find_in_subject;
pub use wire::{frame, unframe, MAGIC_BYTE};
