//! Domain events ⇄ the `payload` union of each aggregate's envelope.
//! Written by hand rather than derived, so the Avro contract is exactly the
//! `.avsc` files and a Rust rename can never silently change the log.

pub(crate) mod channel;
pub(crate) mod chat;
pub(crate) mod clip;
pub(crate) mod command_use;
pub(crate) mod publication;

use apache_avro::types::Value;

use crate::error::CodecError;
use crate::fields::{enumeration, Fields};

/// An enum value whose index is its position in the domain's `ALL` list,
/// which is the symbol order of the schema (checked by a test).
pub(crate) fn closed_enum<T: PartialEq + Copy>(all: &[T], value: T, symbol: &str) -> Value {
    let index = all.iter().position(|v| *v == value).expect("value is one of ALL");
    enumeration(index, symbol)
}

/// A `long` field that the domain holds as a `u32` (seconds, a percentage).
pub(crate) fn small(f: &mut Fields, field: &'static str) -> Result<u32, CodecError> {
    u32::try_from(f.long(field)?).map_err(|_| CodecError::Shape { field, expected: "a whole number within a u32" })
}
