-- Signed checkpoints of the audit chain (the format is in
-- schemas/src/audit/checkpoint.rs and the README). The checkpointer writes
-- a checkpoint here and the heads it signed in one transaction, then
-- publishes the exact text to wavestack.audit.checkpoints.v1: a crash in
-- between publishes the same bytes again, never a second checkpoint under
-- the same number. Nothing here is trusted by a verifier: a checkpoint
-- holds only if the key outside the database signed it.
CREATE TABLE audit_checkpoints
(
    org          text        NOT NULL,
    number       bigint      NOT NULL CHECK (number >= 1),
    body         text        NOT NULL,
    signature    text        NOT NULL,
    signed_at    timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    PRIMARY KEY (org, number)
);

CREATE INDEX audit_checkpoints_unpublished ON audit_checkpoints (org, number) WHERE published_at IS NULL;

-- The last head of each stream that a checkpoint signed.
CREATE TABLE audit_signed_heads
(
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
