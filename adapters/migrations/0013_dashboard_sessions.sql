-- Dashboard sessions: the cookie's token and the CSRF token are kept only
-- as SHA-256 hashes, so this table is no key to anyone's session.
CREATE TABLE dashboard_sessions (
    id_hash bytea PRIMARY KEY,
    org text NOT NULL,
    username text NOT NULL,
    csrf_hash bytea NOT NULL,
    user_agent text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX dashboard_sessions_by_person ON dashboard_sessions (org, username);
