//! Small typed accessors over Avro generic values, so the payload mappings
//! read like the schemas they implement.

use apache_avro::types::Value;
use uuid::Uuid;
use wavestack_domain::value::{Timestamp, ValueError};

use crate::error::CodecError;

/// Builds a record value from `(name, value)` pairs in schema order.
pub(crate) fn record<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Record(fields.into_iter().map(|(name, value)| (name.to_owned(), value)).collect())
}

pub(crate) fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

pub(crate) fn timestamp(t: Timestamp) -> Value {
    Value::TimestampMicros(t.unix_micros())
}

pub(crate) fn long(n: u64) -> Value {
    Value::Long(i64::try_from(n).unwrap_or(i64::MAX))
}

pub(crate) fn int(n: u32) -> Value {
    Value::Int(i32::try_from(n).unwrap_or(i32::MAX))
}

/// `["null", T]` unions: branch 0 is null.
pub(crate) fn nullable(value: Option<Value>) -> Value {
    match value {
        None => Value::Union(0, Box::new(Value::Null)),
        Some(v) => Value::Union(1, Box::new(v)),
    }
}

/// Index of `symbol` in an enum's symbol list: the schema's order is the
/// domain's `ALL` order, which a test checks.
pub(crate) fn enumeration(index: usize, symbol: &str) -> Value {
    Value::Enum(index as u32, symbol.to_owned())
}

/// Names the field a domain refusal was found in.
pub(crate) fn invalid(field: &'static str) -> impl Fn(ValueError) -> CodecError {
    move |error| CodecError::Value { field, error }
}

/// The fields of one decoded record, taken out by name.
pub(crate) struct Fields(Vec<(String, Value)>);

impl Fields {
    pub(crate) fn of(value: Value, field: &'static str) -> Result<Self, CodecError> {
        match value {
            Value::Record(fields) => Ok(Self(fields)),
            _ => Err(CodecError::Shape { field, expected: "a record" }),
        }
    }

    pub(crate) fn take(&mut self, field: &'static str) -> Result<Value, CodecError> {
        let index = self
            .0
            .iter()
            .position(|(name, _)| name == field)
            .ok_or(CodecError::Shape { field, expected: "a field of this name" })?;
        Ok(self.0.swap_remove(index).1)
    }

    pub(crate) fn string(&mut self, field: &'static str) -> Result<String, CodecError> {
        match self.take(field)? {
            Value::String(s) => Ok(s),
            Value::Uuid(u) => Ok(u.to_string()),
            _ => Err(CodecError::Shape { field, expected: "a string" }),
        }
    }

    pub(crate) fn parsed<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(String) -> Result<T, ValueError>,
    ) -> Result<T, CodecError> {
        let raw = self.string(field)?;
        parse(raw).map_err(invalid(field))
    }

    /// An enum symbol, parsed into the domain's closed enum.
    pub(crate) fn symbol_parsed<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Result<T, CodecError> {
        let symbol = self.symbol(field)?;
        parse(&symbol).map_err(invalid(field))
    }

    pub(crate) fn uuid(&mut self, field: &'static str) -> Result<Uuid, CodecError> {
        match self.take(field)? {
            Value::Uuid(u) => Ok(u),
            Value::String(s) => Uuid::parse_str(&s).map_err(|_| CodecError::Shape { field, expected: "a UUID" }),
            _ => Err(CodecError::Shape { field, expected: "a UUID" }),
        }
    }

    pub(crate) fn long(&mut self, field: &'static str) -> Result<u64, CodecError> {
        match self.take(field)? {
            Value::Long(n) | Value::TimestampMicros(n) => {
                u64::try_from(n).map_err(|_| CodecError::Shape { field, expected: "a non-negative long" })
            }
            Value::Int(n) => u64::try_from(n).map_err(|_| CodecError::Shape { field, expected: "a non-negative long" }),
            _ => Err(CodecError::Shape { field, expected: "a long" }),
        }
    }

    pub(crate) fn int(&mut self, field: &'static str) -> Result<u32, CodecError> {
        match self.take(field)? {
            Value::Int(n) => u32::try_from(n).map_err(|_| CodecError::Shape { field, expected: "a non-negative int" }),
            _ => Err(CodecError::Shape { field, expected: "an int" }),
        }
    }

    pub(crate) fn boolean(&mut self, field: &'static str) -> Result<bool, CodecError> {
        match self.take(field)? {
            Value::Boolean(b) => Ok(b),
            _ => Err(CodecError::Shape { field, expected: "a boolean" }),
        }
    }

    pub(crate) fn timestamp(&mut self, field: &'static str) -> Result<Timestamp, CodecError> {
        timestamp_of(self.take(field)?, field)
    }

    pub(crate) fn symbol(&mut self, field: &'static str) -> Result<String, CodecError> {
        symbol_of(self.take(field)?, field)
    }

    pub(crate) fn array(&mut self, field: &'static str) -> Result<Vec<Value>, CodecError> {
        match self.take(field)? {
            Value::Array(items) => Ok(items),
            _ => Err(CodecError::Shape { field, expected: "an array" }),
        }
    }

    /// A `["null", T]` union: `None` for null, the inner value otherwise.
    pub(crate) fn optional(&mut self, field: &'static str) -> Result<Option<Value>, CodecError> {
        match self.take(field)? {
            Value::Union(_, inner) => Ok(match *inner {
                Value::Null => None,
                other => Some(other),
            }),
            Value::Null => Ok(None),
            other => Ok(Some(other)),
        }
    }

    pub(crate) fn optional_string(&mut self, field: &'static str) -> Result<Option<String>, CodecError> {
        self.optional(field)?
            .map(|v| match v {
                Value::String(s) => Ok(s),
                Value::Uuid(u) => Ok(u.to_string()),
                _ => Err(CodecError::Shape { field, expected: "a string or null" }),
            })
            .transpose()
    }

    pub(crate) fn optional_timestamp(&mut self, field: &'static str) -> Result<Option<Timestamp>, CodecError> {
        self.optional(field)?.map(|v| timestamp_of(v, field)).transpose()
    }
}

pub(crate) fn timestamp_of(value: Value, field: &'static str) -> Result<Timestamp, CodecError> {
    match value {
        Value::TimestampMicros(micros) | Value::Long(micros) => {
            Timestamp::from_unix_micros(micros).map_err(invalid(field))
        }
        _ => Err(CodecError::Shape { field, expected: "a timestamp-micros" }),
    }
}

pub(crate) fn symbol_of(value: Value, field: &'static str) -> Result<String, CodecError> {
    match value {
        Value::Enum(_, symbol) | Value::String(symbol) => Ok(symbol),
        _ => Err(CodecError::Shape { field, expected: "an enum symbol" }),
    }
}

/// The branch of a union: `(index, value)`.
pub(crate) fn branch(value: Value, field: &'static str) -> Result<(u32, Value), CodecError> {
    match value {
        Value::Union(index, inner) => Ok((index, *inner)),
        _ => Err(CodecError::Shape { field, expected: "a union" }),
    }
}
