-- Dashboard sessions: the cookie's token is kept only as its SHA-256, so
-- this table is no key to anyone's session. The CSRF token is derived from
-- the cookie's (adapters/src/auth/sessions.rs), so it is not kept at all.
CREATE TABLE dashboard_sessions (
    id_hash bytea PRIMARY KEY,
    org text NOT NULL,
    username text NOT NULL,
    user_agent text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX dashboard_sessions_by_person ON dashboard_sessions (org, username);
