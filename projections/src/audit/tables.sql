-- The auditors' event log: every event in the order the projection read it.
CREATE TABLE IF NOT EXISTS {schema}.rm_event_log (
    position bigserial PRIMARY KEY,
    org text NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    aggregate_type text NOT NULL,
    aggregate_id text NOT NULL,
    sequence bigint NOT NULL,
    event_type text NOT NULL,
    actor text NOT NULL,
    correlation_id uuid NOT NULL,
    causation_id uuid,
    request_id text,
    occurred_at timestamptz NOT NULL,
    hash text NOT NULL,
    payload jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rm_event_log_org ON {schema}.rm_event_log (org, position);
CREATE INDEX IF NOT EXISTS rm_event_log_aggregate ON {schema}.rm_event_log (org, aggregate_id, position);
CREATE INDEX IF NOT EXISTS rm_event_log_actor ON {schema}.rm_event_log (org, actor, position);
CREATE INDEX IF NOT EXISTS rm_event_log_type ON {schema}.rm_event_log (org, event_type, position);
CREATE INDEX IF NOT EXISTS rm_event_log_time ON {schema}.rm_event_log (org, occurred_at);

-- Each stream's audit chain at its last event, for the checkpointer to sign.
CREATE TABLE IF NOT EXISTS {schema}.rm_chain_heads (
    aggregate_type text NOT NULL,
    aggregate_id text NOT NULL,
    org text NOT NULL,
    sequence bigint NOT NULL,
    chain bytea NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
CREATE INDEX IF NOT EXISTS rm_chain_heads_org ON {schema}.rm_chain_heads (org);
