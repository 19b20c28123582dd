//! BACKWARD_TRANSITIVE: the newest schema of a subject must read records
//! written with every earlier version, so consumers can upgrade first and
//! replay the whole log.

use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::Schema;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("version {reader} cannot read records written with version {writer}: {reason}")]
pub struct CompatibilityViolation {
    pub writer: u32,
    pub reader: u32,
    pub reason: String,
}

/// `versions` in order, 1 first. Every version must read all earlier ones
/// (transitive), not only its predecessor.
pub fn check_backward_transitive(versions: &[(u32, &str)]) -> Result<(), Vec<CompatibilityViolation>> {
    let parsed: Vec<(u32, Schema)> =
        versions.iter().map(|(v, text)| (*v, Schema::parse_str(text).expect("schema text parses"))).collect();
    let mut violations = Vec::new();
    for (i, (reader_version, reader)) in parsed.iter().enumerate() {
        for (writer_version, writer) in &parsed[..i] {
            if let Err(e) = SchemaCompatibility::can_read(writer, reader) {
                violations.push(CompatibilityViolation {
                    writer: *writer_version,
                    reader: *reader_version,
                    reason: e.to_string(),
                });
            }
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{AggregateKind, SchemaEntry};

    #[test]
    fn every_published_subject_is_backward_transitive() {
        for kind in AggregateKind::ALL {
            let versions: Vec<_> = SchemaEntry::versions(kind).iter().map(|e| (e.version, e.text)).collect();
            assert!(!versions.is_empty());
            if let Err(violations) = check_backward_transitive(&versions) {
                panic!("{}: {violations:?}", kind.subject());
            }
        }
    }

    const V1: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"string"}]}"#;
    const V2_OPTIONAL_FIELD: &str = r#"{"type":"record","name":"E","fields":[
        {"name":"a","type":"string"},{"name":"b","type":["null","string"],"default":null}]}"#;
    const V3_DROPS_B: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"string"}]}"#;
    const V2_REQUIRED_FIELD: &str = r#"{"type":"record","name":"E","fields":[
        {"name":"a","type":"string"},{"name":"b","type":"string"}]}"#;
    const V2_RETYPED: &str = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"long"}]}"#;

    #[test]
    fn adding_a_field_with_a_default_and_removing_it_again_is_allowed() {
        assert_eq!(check_backward_transitive(&[(1, V1), (2, V2_OPTIONAL_FIELD), (3, V3_DROPS_B)]), Ok(()));
    }

    #[test]
    fn adding_a_required_field_is_refused() {
        let violations = check_backward_transitive(&[(1, V1), (2, V2_REQUIRED_FIELD)]).unwrap_err();
        assert_eq!((violations[0].writer, violations[0].reader), (1, 2));
    }

    #[test]
    fn changing_a_field_type_is_refused() {
        assert!(check_backward_transitive(&[(1, V1), (2, V2_RETYPED)]).is_err());
    }

    #[test]
    fn the_check_is_transitive_not_only_pairwise() {
        // v3 reads v2 (b has a default) but not v1 under this rule chain:
        // v1 has no c, v3 requires c.
        let v2 = r#"{"type":"record","name":"E","fields":[{"name":"a","type":"string"},
            {"name":"c","type":"string","default":"x"}]}"#;
        let v3 = r#"{"type":"record","name":"E","fields":[{"name":"c","type":"string"}]}"#;
        let violations = check_backward_transitive(&[(1, V1), (2, v2), (3, v3)]).unwrap_err();
        assert!(violations.iter().any(|v| v.writer == 1 && v.reader == 3));
        assert!(!violations.iter().any(|v| v.writer == 2 && v.reader == 3));
    }
}
