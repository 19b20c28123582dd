-- The checkpointer as a witness (issue 26, items 10 and 21): it signs a
-- stream's head only when the chain recomputed from the store's events
-- agrees with the chain the audit projection computed from the log.
--
-- Each signed head keeps its chain and the checkpointer's seal over it (an
-- Ed25519 signature by the checkpoint key), so that the next round
-- recomputes only the events after it. A head whose seal does not verify
-- (the app's role can write this table) is recomputed from the stream's
-- first event: it costs time, never trust.
ALTER TABLE audit_signed_heads ADD COLUMN chain bytea;
ALTER TABLE audit_signed_heads ADD COLUMN seal bytea;

-- Heads the store and the log disagree on, left unsigned: an alarm until
-- an operator has looked (the log holds an event the store does not, or
-- the store's events were changed after they were relayed).
CREATE TABLE audit_witness_alarms
(
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    sequence       bigint      NOT NULL,
    org            text        NOT NULL,
    log_chain      bytea       NOT NULL,
    -- NULL: the store holds no event at some sequence up to it.
    store_chain    bytea,
    found_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
