-- A connected chat channel's credentials (issue 27), owned by
-- `adapters::platform_connections`. The tokens are sealed with the
-- deployment's `platform-tokens` secret, bound to the row: this table
-- read alone (a backup, the app role) gives no usable token. Who connected
-- what with which scopes is in the channel's events; this is only what the
-- gateways need to act, and it is deleted on disconnecting.
CREATE TABLE platform_connections (
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    platform_channel_id text NOT NULL,
    bot_user_id text NOT NULL,
    bot_login text NOT NULL,
    scopes text[] NOT NULL,
    sealed_tokens bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    validated_at timestamptz NOT NULL,
    -- connected, token_expired, token_revoked or missing_scope: what the
    -- dashboard shows besides the live state of a running gateway.
    state text NOT NULL DEFAULT 'connected',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org, platform, channel)
);
