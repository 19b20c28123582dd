//! The flat table an aggregate's events export to, derived from its
//! latest Avro schema (the log's): one column per envelope field, then
//! `event_type` (the payload record's name), then one column per payload
//! field of any of its event types (empty for the others). A payload field
//! named like an envelope field is `payload_<name>`.
//!
//! Types: `long`/`int` are 64-bit integers, `timestamp-micros` timestamps
//! (UTC, microseconds), `boolean` booleans, `double`/`float` doubles,
//! strings, UUIDs and enums text; a nullable one is its type, nullable; a
//! record, array, map or other union is its JSON text. A field whose type
//! differs between two event types is its JSON text too.

use std::collections::BTreeMap;

use apache_avro::schema::{RecordSchema, Schema};
use apache_avro::types::Value;
use wavestack_schemas::{latest_schema, AggregateKind, LogEnvelope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Long,
    /// Microseconds since the Unix epoch, UTC.
    Timestamp,
    Boolean,
    Double,
    Text,
    /// Text holding the field's value as JSON.
    Json,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
    /// Always has a value.
    pub required: bool,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Envelope(String),
    EventType,
    Payload(String),
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Long(i64),
    Boolean(bool),
    Double(f64),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub kind: AggregateKind,
    pub columns: Vec<Column>,
}

impl Layout {
    pub fn of(kind: AggregateKind) -> anyhow::Result<Self> {
        let Schema::Record(envelope) = latest_schema(kind)? else {
            anyhow::bail!("the {kind} envelope schema is not a record");
        };
        let mut columns = Vec::new();
        let mut payload_schema = None;
        for field in &envelope.fields {
            if field.name == "payload" {
                payload_schema = Some(&field.schema);
                continue;
            }
            let (kind, nullable) = column_type(&field.schema);
            columns.push(Column {
                name: field.name.clone(),
                kind,
                required: !nullable,
                source: Source::Envelope(field.name.clone()),
            });
        }
        columns.push(Column {
            name: "event_type".into(),
            kind: ColumnType::Text,
            required: true,
            source: Source::EventType,
        });
        let Some(Schema::Union(events)) = payload_schema else {
            anyhow::bail!("the {kind} envelope has no union of payload records");
        };
        // Every payload field, in the order first seen, with one type.
        let mut payload: BTreeMap<String, (usize, ColumnType)> = BTreeMap::new();
        for (order, field) in events.variants().iter().filter_map(record).flat_map(|r| r.fields.iter()).enumerate() {
            let (kind, _) = column_type(&field.schema);
            payload
                .entry(field.name.clone())
                .and_modify(|(_, seen)| {
                    if *seen != kind {
                        *seen = ColumnType::Json;
                    }
                })
                .or_insert((order, kind));
        }
        let mut payload: Vec<(String, (usize, ColumnType))> = payload.into_iter().collect();
        payload.sort_by_key(|(_, (order, _))| *order);
        for (field, (_, kind)) in payload {
            let name = if columns.iter().any(|c| c.name == field) { format!("payload_{field}") } else { field.clone() };
            columns.push(Column { name, kind, required: false, source: Source::Payload(field) });
        }
        Ok(Self { kind, columns })
    }

    /// The envelope's row, a cell per column.
    pub fn row(&self, envelope: &LogEnvelope) -> Vec<Cell> {
        let Value::Record(fields) = envelope.to_avro() else { unreachable!("an envelope is a record") };
        let mut envelope_fields: BTreeMap<String, Value> = BTreeMap::new();
        let mut payload_fields: BTreeMap<String, Value> = BTreeMap::new();
        for (name, value) in fields {
            if name == "payload" {
                if let Value::Record(fields) = unwrap_union(value) {
                    payload_fields.extend(fields);
                }
            } else {
                envelope_fields.insert(name, value);
            }
        }
        // Each field feeds one column: its value is moved into the cell.
        self.columns
            .iter()
            .map(|column| match &column.source {
                Source::EventType => Cell::Text(envelope.event.name().to_owned()),
                Source::Envelope(name) => envelope_fields.remove(name).map_or(Cell::Null, |v| cell(column.kind, v)),
                Source::Payload(name) => payload_fields.remove(name).map_or(Cell::Null, |v| cell(column.kind, v)),
            })
            .collect()
    }
}

fn record(schema: &Schema) -> Option<&RecordSchema> {
    match schema {
        Schema::Record(record) => Some(record),
        _ => None,
    }
}

/// The column type of a field's schema, and whether it may be null.
fn column_type(schema: &Schema) -> (ColumnType, bool) {
    match schema {
        Schema::Long | Schema::Int => (ColumnType::Long, false),
        Schema::TimestampMicros | Schema::TimestampMillis => (ColumnType::Timestamp, false),
        Schema::Boolean => (ColumnType::Boolean, false),
        Schema::Double | Schema::Float => (ColumnType::Double, false),
        Schema::String | Schema::Uuid(_) | Schema::Enum(_) => (ColumnType::Text, false),
        Schema::Union(union) => {
            let others: Vec<&Schema> = union.variants().iter().filter(|s| **s != Schema::Null).collect();
            match others.as_slice() {
                [one] if others.len() < union.variants().len() => (column_type(one).0, true),
                _ => (ColumnType::Json, true),
            }
        }
        _ => (ColumnType::Json, false),
    }
}

fn unwrap_union(value: Value) -> Value {
    match value {
        Value::Union(_, inner) => unwrap_union(*inner),
        other => other,
    }
}

fn cell(kind: ColumnType, value: Value) -> Cell {
    match (kind, unwrap_union(value)) {
        (_, Value::Null) => Cell::Null,
        (ColumnType::Json, value) => json_text(value),
        (_, Value::Long(n) | Value::TimestampMicros(n)) => Cell::Long(n),
        (_, Value::TimestampMillis(n)) => Cell::Long(n * 1000),
        (_, Value::Int(n)) => Cell::Long(i64::from(n)),
        (_, Value::Boolean(b)) => Cell::Boolean(b),
        (_, Value::Double(d)) => Cell::Double(d),
        (_, Value::Float(f)) => Cell::Double(f64::from(f)),
        (_, Value::String(s) | Value::Enum(_, s)) => Cell::Text(s),
        (_, Value::Uuid(u)) => Cell::Text(u.to_string()),
        (_, other) => json_text(other),
    }
}

/// A value as JSON text, as apache-avro converts it (a non-finite float,
/// which JSON cannot hold, is null).
fn json_text(value: Value) -> Cell {
    serde_json::Value::try_from(value).map_or(Cell::Null, |json| Cell::Text(json.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/analysts-and-auditors.md documents these: the envelope's columns, then
    /// `event_type`, then the payload's.
    #[test]
    fn every_layout_starts_with_the_envelope_and_chat_has_its_documented_columns() {
        let envelope = [
            "event_id",
            "aggregate_id",
            "sequence",
            "occurred_at",
            "org",
            "actor",
            "correlation_id",
            "causation_id",
            "request_id",
            "hash",
            "event_type",
        ];
        for kind in AggregateKind::ALL {
            let layout = Layout::of(kind).unwrap();
            let names: Vec<&str> = layout.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names[..envelope.len()], envelope, "{kind}");
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{kind}: column names are unique");
        }
        let chat = Layout::of(AggregateKind::Chat).unwrap();
        let kind_of = |name: &str| chat.columns.iter().find(|c| c.name == name).map(|c| (c.kind, c.required));
        assert_eq!(kind_of("occurred_at"), Some((ColumnType::Timestamp, true)));
        assert_eq!(kind_of("causation_id"), Some((ColumnType::Text, false)));
        assert_eq!(kind_of("text"), Some((ColumnType::Text, false)));
        assert_eq!(kind_of("points"), Some((ColumnType::Long, false)));
        assert_eq!(kind_of("balance"), Some((ColumnType::Long, false)));
        assert_eq!(kind_of("sent_at"), Some((ColumnType::Timestamp, false)));
    }
}
