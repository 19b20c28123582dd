//! Every statement of the audit read model, in one place. Each takes
//! the schema the model lives in (a checked `SchemaName`, never input).

pub(super) fn appending_to_rm_event_log(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_event_log (org, event_id, aggregate_type, aggregate_id, sequence, event_type, actor,
                correlation_id, causation_id, request_id, occurred_at, hash, payload)
             SELECT * FROM UNNEST($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                $7::text[], $8::uuid[], $9::uuid[], $10::text[], $11::timestamptz[], $12::text[], $13::jsonb[])
             ON CONFLICT (event_id) DO NOTHING"
    )
}

pub(super) fn reading_the_event_log(s: &str) -> String {
    format!(
        "SELECT position, event_id, aggregate_type, aggregate_id, sequence, event_type, actor, correlation_id,
                causation_id, request_id, occurred_at, hash, payload
           FROM {s}.rm_event_log
          WHERE org = $1 AND position > $2
            AND ($3::text IS NULL OR aggregate_id = $3) AND ($4::text IS NULL OR actor = $4)
            AND ($5::text IS NULL OR event_type = $5)
            AND ($6::timestamptz IS NULL OR occurred_at >= $6) AND ($7::timestamptz IS NULL OR occurred_at < $7)
          ORDER BY position LIMIT $8"
    )
}

pub(super) fn reading_chain_heads(s: &str) -> String {
    format!(
        "SELECT h.aggregate_type, h.aggregate_id, h.chain
           FROM {s}.rm_chain_heads h
           JOIN UNNEST($1::text[], $2::text[]) AS k (aggregate_type, aggregate_id)
             ON h.aggregate_type = k.aggregate_type AND h.aggregate_id = k.aggregate_id"
    )
}

pub(super) fn upserting_chain_heads(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_chain_heads (aggregate_type, aggregate_id, org, sequence, chain)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[])
             ON CONFLICT (aggregate_type, aggregate_id)
             DO UPDATE SET sequence = EXCLUDED.sequence, chain = EXCLUDED.chain"
    )
}

/// `$1`: the most heads per org. `signed` is the checkpointer's table of
/// the heads it signed (`aggregate_type`, `aggregate_id`, `sequence`).
pub(super) fn reading_moved_chain_heads(s: &str, signed: &str) -> String {
    format!(
        "SELECT org, aggregate_type, aggregate_id, sequence, chain FROM (
            SELECT h.org, h.aggregate_type, h.aggregate_id, h.sequence, h.chain,
                   row_number() OVER (PARTITION BY h.org ORDER BY h.aggregate_type, h.aggregate_id) AS rank
              FROM {s}.rm_chain_heads h
              LEFT JOIN {signed} signed USING (aggregate_type, aggregate_id)
             WHERE signed.sequence IS NULL OR h.sequence > signed.sequence) moved
          WHERE rank <= $1
          ORDER BY org, aggregate_type, aggregate_id"
    )
}
