-- The event store. Columns up to `metadata` are what postgres-es reads and
-- writes; the rest are filled by defaults and a trigger so that postgres-es
-- needs no change:
--   position        global order of insertion (not of commit: see the relay)
--   transaction_id  the writing transaction, for the relay's xmin horizon
--   event_id        stable id of the event on the log; redeliveries reuse it
--   recorded_at     when the store accepted it
--   hash            per-stream SHA-256 chain, for tamper evidence
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 1) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    position       bigserial                    NOT NULL UNIQUE,
    transaction_id xid8                         NOT NULL DEFAULT pg_current_xact_id(),
    event_id       uuid                         NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    recorded_at    timestamptz                  NOT NULL DEFAULT clock_timestamp(),
    hash           bytea                        NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- The relay reads in (transaction_id, position) order.
CREATE INDEX events_relay_order ON events (transaction_id, position);

-- hash = sha256(previous hash || the event's stored fields). `json` keeps
-- the text as written, so the chain can be recomputed from the table alone.
CREATE FUNCTION events_hash_chain() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    previous bytea;
BEGIN
    SELECT hash INTO previous
      FROM events
     WHERE aggregate_type = NEW.aggregate_type
       AND aggregate_id = NEW.aggregate_id
       AND sequence = NEW.sequence - 1;
    NEW.hash := sha256(
        coalesce(previous, ''::bytea) ||
        convert_to(concat_ws(E'\x1f', NEW.aggregate_type, NEW.aggregate_id, NEW.sequence::text,
                             NEW.event_type, NEW.event_version, NEW.payload::text, NEW.metadata::text), 'UTF8'));
    RETURN NEW;
END
$$;

CREATE TRIGGER events_hash_chain
    BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_hash_chain();

-- Events are facts: never edited, never deleted.
CREATE FUNCTION events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'events are append-only (% refused)', TG_OP;
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

-- Aggregate snapshots (postgres-es' layout), used for long chat streams.
CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);
