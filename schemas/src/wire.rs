//! Confluent wire format: magic byte 0, 4-byte big-endian schema id, then
//! the Avro binary datum. What kcat, ksqlDB, Connect and Spark expect.

use crate::error::CodecError;

pub const MAGIC_BYTE: u8 = 0;

pub fn frame(schema_id: u32, datum: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + datum.len());
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
    out.extend_from_slice(datum);
    out
}

pub fn unframe(bytes: &[u8]) -> Result<(u32, &[u8]), CodecError> {
    match bytes {
        [MAGIC_BYTE, a, b, c, d, datum @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), datum)),
        _ => Err(CodecError::NotFramed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_or_unmarked_input_is_refused() {
        assert!(matches!(unframe(&[]), Err(CodecError::NotFramed)));
        assert!(matches!(unframe(&[0, 0, 0, 1]), Err(CodecError::NotFramed)));
        assert!(matches!(unframe(&[1, 0, 0, 0, 1, 9]), Err(CodecError::NotFramed)));
    }

    proptest! {
        #[test]
        fn frame_and_unframe_are_inverse(id: u32, datum: Vec<u8>) {
            let framed = frame(id, &datum);
            prop_assert_eq!(unframe(&framed).unwrap(), (id, datum.as_slice()));
        }
    }
}
