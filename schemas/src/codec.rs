//! Encodes envelopes as Confluent-framed Avro and decodes them back,
//! resolving records written with any known schema version to the latest.

use std::collections::HashMap;

use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use apache_avro::Schema;

use crate::catalog::{AggregateKind, SchemaEntry, CATALOG};
use crate::envelope::LogEnvelope;
use crate::error::CodecError;
use crate::wire::{frame, unframe};

pub struct Codec {
    /// Per aggregate: the id and schema the relay writes with (the latest).
    writers: HashMap<AggregateKind, (u32, Schema)>,
    /// Every known schema by the id on the wire, to decode old records.
    by_id: HashMap<u32, (AggregateKind, Schema)>,
}

impl Codec {
    /// Ids as assigned in `CATALOG`: what the query API's read-only registry
    /// serves when no external schema registry is configured.
    pub fn from_catalog() -> Result<Self, CodecError> {
        Self::with_ids(|entry| entry.id)
    }

    /// Ids chosen by someone else, e.g. a Confluent Schema Registry the
    /// schemas were registered in.
    pub fn with_ids(id_of: impl Fn(&SchemaEntry) -> u32) -> Result<Self, CodecError> {
        let mut by_id = HashMap::new();
        for entry in CATALOG {
            let schema = Schema::parse_str(entry.text).map_err(|e| CodecError::Schema(e.to_string()))?;
            by_id.insert(id_of(entry), (entry.aggregate, schema));
        }
        let writers = AggregateKind::ALL
            .into_iter()
            .map(|kind| {
                let id = id_of(SchemaEntry::latest(kind));
                (kind, (id, by_id[&id].1.clone()))
            })
            .collect();
        Ok(Self { writers, by_id })
    }

    pub fn schema_id(&self, kind: AggregateKind) -> u32 {
        self.writers[&kind].0
    }

    pub fn encode(&self, envelope: &LogEnvelope) -> Result<Vec<u8>, CodecError> {
        let (id, schema) = &self.writers[&envelope.event.kind()];
        let datum = GenericDatumWriter::builder(schema).build()?.write_value_to_vec(envelope.to_avro())?;
        Ok(frame(*id, &datum))
    }

    pub fn decode(&self, bytes: &[u8]) -> Result<LogEnvelope, CodecError> {
        let (id, mut datum) = unframe(bytes)?;
        let (kind, writer) = self.by_id.get(&id).ok_or(CodecError::UnknownSchemaId(id))?;
        let (latest_id, reader) = &self.writers[kind];
        // Resolve only across versions. apache-avro resolves a union branch
        // to the first reader record that can read it, not the one of the
        // same name, and an empty record (PublicationCancelled) reads any
        // record: so a new version must keep earlier branches' positions and
        // the round-trip test must cover records written with every version.
        let builder = GenericDatumReader::builder(writer);
        let value = if id == *latest_id {
            builder.build()?.read_value(&mut datum)?
        } else {
            builder.reader_schema(reader).build()?.read_value(&mut datum)?
        };
        LogEnvelope::from_avro(*kind, value)
    }
}
