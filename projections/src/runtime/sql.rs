//! Every statement of the runtime read model, in one place. Each takes
//! the schema the model lives in (a checked `SchemaName`, never input).

pub(super) fn reading_the_applied_sequence(schema: &str) -> String {
    format!("SELECT last_sequence FROM {schema}.positions WHERE aggregate_id = $1")
}

pub(super) fn reading_the_applied_sequences(schema: &str) -> String {
    format!("SELECT aggregate_id, last_sequence FROM {schema}.positions WHERE aggregate_id = ANY($1)")
}

pub(super) fn storing_positions(s: &str) -> String {
    format!(
        "INSERT INTO {s}.positions (aggregate_id, last_sequence) SELECT * FROM UNNEST($1::text[], $2::bigint[])
                 ON CONFLICT (aggregate_id) DO UPDATE
                    SET last_sequence = GREATEST({s}.positions.last_sequence, EXCLUDED.last_sequence)"
    )
}

pub(super) fn storing_offsets(s: &str) -> String {
    format!(
        "INSERT INTO {s}.offsets (topic, partition, next_offset)
                 SELECT * FROM UNNEST($1::text[], $2::integer[], $3::bigint[])
                 ON CONFLICT (topic, partition) DO UPDATE
                    SET next_offset = GREATEST({s}.offsets.next_offset, EXCLUDED.next_offset)"
    )
}

pub(super) fn reading_offsets(schema: &str) -> String {
    format!("SELECT topic, partition, next_offset FROM {schema}.offsets")
}
