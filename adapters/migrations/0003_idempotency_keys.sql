-- Answers to requests sent with an Idempotency-Key, per org. A row without a
-- status is a request still running: a concurrent retry waits for it.
CREATE TABLE idempotency_keys
(
    org          text        NOT NULL,
    key          text        NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request
    -- is refused rather than answered with the first request's answer.
    fingerprint  bytea       NOT NULL,
    status       smallint,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (org, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
