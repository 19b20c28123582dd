//! Encodes envelopes as Confluent-framed Avro and decodes them back,
//! resolving records written with any known schema version to the latest.

use std::collections::HashMap;
use std::sync::OnceLock;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;

use crate::catalog::{AggregateKind, SchemaEntry, SchemaIds, CATALOG};
use crate::envelope::LogEnvelope;
use crate::error::CodecError;
use crate::wire::{frame, unframe};

/// The catalog's schemas, parsed once per process. `'static` lets the codec
/// keep writers and readers whose schema resolution is done once, not per
/// record (resolving per record cost the relay most of its time).
pub(crate) fn parsed_catalog() -> Result<&'static [(SchemaEntry, Schema)], CodecError> {
    static PARSED: OnceLock<Result<Vec<(SchemaEntry, Schema)>, String>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            CATALOG
                .iter()
                .map(|entry| Schema::parse_str(entry.text).map(|s| (*entry, s)).map_err(|e| e.to_string()))
                .collect()
        })
        .as_deref()
        .map_err(|e| CodecError::Schema(e.clone()))
}

/// The aggregate's latest schema, the one the relay writes with.
pub fn latest_schema(kind: AggregateKind) -> Result<&'static Schema, CodecError> {
    let version = SchemaEntry::latest(kind).version;
    Ok(parsed_catalog()?
        .iter()
        .find(|(e, _)| e.aggregate == kind && e.version == version)
        .map(|(_, schema)| schema)
        .expect("the latest version is in the catalog"))
}

pub struct Codec {
    /// Per aggregate: the id written on the wire and the writer (latest version).
    writers: HashMap<AggregateKind, (u32, GenericDatumWriter<'static>)>,
    /// Per id on the wire: the aggregate and a reader for records written with it.
    readers: HashMap<u32, (AggregateKind, GenericDatumReader<'static>)>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec").finish_non_exhaustive()
    }
}

impl Codec {
    /// Ids as assigned in `CATALOG`: what the query API's read-only registry
    /// serves when no external schema registry is configured.
    pub fn from_catalog() -> Result<Self, CodecError> {
        Self::with_ids(|entry| entry.id)
    }

    /// Ids from `SchemaIds`: the catalog's, or an external registry's.
    pub fn with_schema_ids(ids: &SchemaIds) -> Result<Self, CodecError> {
        Self::with_ids(|entry| ids.id_of(entry))
    }

    /// Ids chosen by someone else, e.g. a Confluent Schema Registry the
    /// schemas were registered in.
    pub fn with_ids(id_of: impl Fn(&SchemaEntry) -> u32) -> Result<Self, CodecError> {
        let parsed = parsed_catalog()?;
        let latest = |kind: AggregateKind| {
            let version = SchemaEntry::latest(kind).version;
            parsed.iter().find(|(e, _)| e.aggregate == kind && e.version == version).expect("latest is parsed")
        };
        let mut writers = HashMap::new();
        for kind in AggregateKind::ALL {
            let (entry, schema) = latest(kind);
            writers.insert(kind, (id_of(entry), GenericDatumWriter::builder(schema).build()?));
        }
        let mut readers = HashMap::new();
        for (entry, writer_schema) in parsed {
            let (latest_entry, reader_schema) = latest(entry.aggregate);
            // Resolve only across versions. apache-avro resolves a union
            // branch to the first reader record that can read it, not the one
            // of the same name, and an empty record (PublicationCancelled)
            // reads any record: so a new version must keep earlier branches'
            // positions, and the round-trip test must cover every version.
            let builder = GenericDatumReader::builder(writer_schema);
            let reader = if entry.version == latest_entry.version {
                builder.build()?
            } else {
                builder.reader_schema(reader_schema).build()?
            };
            readers.insert(id_of(entry), (entry.aggregate, reader));
        }
        Ok(Self { writers, readers })
    }

    pub fn schema_id(&self, kind: AggregateKind) -> u32 {
        self.writers[&kind].0
    }

    pub fn encode(&self, envelope: &LogEnvelope) -> Result<Vec<u8>, CodecError> {
        let (id, writer) = &self.writers[&envelope.event.kind()];
        let datum = writer.write_value_to_vec(envelope.to_avro())?;
        Ok(frame(*id, &datum))
    }

    pub fn decode(&self, bytes: &[u8]) -> Result<LogEnvelope, CodecError> {
        let (id, mut datum) = unframe(bytes)?;
        let (kind, reader) = self.readers.get(&id).ok_or(CodecError::UnknownSchemaId(id))?;
        let value = reader.read_value(&mut datum)?;
        LogEnvelope::from_avro(*kind, value)
    }
}
