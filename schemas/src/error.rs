use thiserror::Error;

use wavestack_domain::value::ValueError;

#[derive(Debug, Error)]
pub enum CodecError {
    #[error("record is not in the Confluent wire format (magic byte 0 + schema id)")]
    NotFramed,
    #[error("unknown schema id {0}")]
    UnknownSchemaId(u32),
    #[error("schema does not parse: {0}")]
    Schema(String),
    #[error("avro: {0}")]
    Avro(String),
    #[error("field `{field}`: expected {expected}")]
    Shape { field: &'static str, expected: &'static str },
    #[error("field `{field}` {error}")]
    Value { field: &'static str, error: ValueError },
    #[error("event metadata: {0}")]
    Metadata(#[from] wavestack_domain::metadata::MetadataError),
    #[error("record of aggregate `{found}` on a {expected} schema")]
    WrongAggregate { expected: &'static str, found: &'static str },
}

impl From<apache_avro::Error> for CodecError {
    fn from(err: apache_avro::Error) -> Self {
        CodecError::Avro(err.to_string())
    }
}
