-- Every moderation decision, per channel, newest first.
CREATE TABLE IF NOT EXISTS {schema}.rm_moderation_log (
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    user_id text NOT NULL,
    stream text NOT NULL,
    sequence bigint NOT NULL,
    at timestamptz NOT NULL,
    action text NOT NULL,
    cause text,
    evidence text NOT NULL,
    reason text NOT NULL,
    decided_by text NOT NULL,
    message_id text,
    author text,
    text text,
    seconds bigint NOT NULL,
    strikes bigint,
    PRIMARY KEY (stream, sequence)
);
CREATE INDEX IF NOT EXISTS rm_moderation_log_channel
    ON {schema}.rm_moderation_log (org, platform, channel, at DESC, sequence DESC, stream);

-- Where each viewer stands with a channel's moderation.
CREATE TABLE IF NOT EXISTS {schema}.rm_moderation_standing (
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    user_id text NOT NULL,
    author text,
    strike_expiries timestamptz[] NOT NULL DEFAULT '{}',
    timeouts bigint NOT NULL DEFAULT 0,
    timed_out_until timestamptz,
    bans bigint NOT NULL DEFAULT 0,
    banned boolean NOT NULL DEFAULT false,
    last_action_at timestamptz NOT NULL,
    PRIMARY KEY (org, platform, channel, user_id)
);
