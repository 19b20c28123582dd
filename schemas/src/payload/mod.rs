//! Domain events ⇄ the `payload` union of each aggregate's envelope.
//! Written by hand rather than derived, so the Avro contract is exactly the
//! `.avsc` files and a Rust rename can never silently change the log.

pub(crate) mod broadcast;
pub(crate) mod channel;
pub(crate) mod chat;
pub(crate) mod clip;
pub(crate) mod command_use;
pub(crate) mod delivery;
pub(crate) mod giveaway;
pub(crate) mod identity;
pub(crate) mod poll;
pub(crate) mod publication;
pub(crate) mod team;

use apache_avro::types::Value;

use crate::error::CodecError;
use wavestack_domain::value::{Account, ValueError};

use crate::fields::{enumeration, invalid, Fields};

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

/// An array of strings, each parsed into a domain value.
pub(crate) fn parsed_strings<T>(
    items: Vec<Value>,
    field: &'static str,
    parse: impl Fn(String) -> Result<T, ValueError>,
) -> Result<Vec<T>, CodecError> {
    items
        .into_iter()
        .map(|item| match item {
            Value::String(raw) => parse(raw).map_err(invalid(field)),
            _ => Err(CodecError::Shape { field, expected: "strings" }),
        })
        .collect()
}

/// An array of `platform:user` accounts.
pub(crate) fn accounts(items: Vec<Value>, field: &'static str) -> Result<Vec<Account>, CodecError> {
    parsed_strings(items, field, |raw| Account::parse(&raw))
}
