-- Resumable uploads in progress, by the publish attempt's idempotency key
-- (publication and target): a publisher that takes over after a crash
-- resumes the same upload session instead of uploading the clip again.
CREATE TABLE upload_sessions
(
    idempotency_key text PRIMARY KEY,
    session_uri     text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
