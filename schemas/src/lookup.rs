//! Finding the catalog entry a schema text is, the way a schema registry
//! does: by Avro's Parsing Canonical Form, so whitespace, field order of
//! the JSON object and doc strings do not matter.

use apache_avro::Schema;

use crate::catalog::SchemaEntry;
use crate::codec::parsed_catalog;
use crate::error::CodecError;

/// The entry of `subject` whose schema is `text`, if any. `Err` when `text`
/// is not an Avro schema at all.
pub fn find_in_subject(subject: &str, text: &str) -> Result<Option<&'static SchemaEntry>, CodecError> {
    let wanted = Schema::parse_str(text).map_err(|e| CodecError::Schema(e.to_string()))?.canonical_form();
    Ok(parsed_catalog()?
        .iter()
        .find(|(entry, schema)| entry.subject() == subject && schema.canonical_form() == wanted)
        .map(|(entry, _)| entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{AggregateKind, CATALOG};

    #[test]
    fn finds_a_schema_however_it_is_formatted() {
        let entry = &CATALOG[0];
        let reformatted =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(entry.text).unwrap()).unwrap();
        let found = find_in_subject(&entry.subject(), &reformatted).unwrap().unwrap();
        assert_eq!(found.id, entry.id);
        assert!(find_in_subject(&AggregateKind::Clip.subject(), entry.text).unwrap().is_none());
        assert!(find_in_subject(&entry.subject(), "{not avro").is_err());
    }
}
