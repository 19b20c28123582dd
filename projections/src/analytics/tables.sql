-- Per channel and time bucket: one counter column per `Counter`
-- (`tally.rs`; a test checks that they agree) and the unique chatters.
CREATE TABLE IF NOT EXISTS {schema}.rm_channel_analytics (
    org text NOT NULL,
    channel text NOT NULL,
    bucket text NOT NULL,
    bucket_start timestamptz NOT NULL,
    messages bigint NOT NULL DEFAULT 0,
    commands bigint NOT NULL DEFAULT 0,
    commands_answered bigint NOT NULL DEFAULT 0,
    commands_refused_level bigint NOT NULL DEFAULT 0,
    commands_refused_cooldown bigint NOT NULL DEFAULT 0,
    commands_refused_cost bigint NOT NULL DEFAULT 0,
    commands_refused_other bigint NOT NULL DEFAULT 0,
    clips_requested bigint NOT NULL DEFAULT 0,
    clips_rendered bigint NOT NULL DEFAULT 0,
    clips_failed bigint NOT NULL DEFAULT 0,
    publications_queued bigint NOT NULL DEFAULT 0,
    publications_published bigint NOT NULL DEFAULT 0,
    publications_failed bigint NOT NULL DEFAULT 0,
    moderation_actions bigint NOT NULL DEFAULT 0,
    moderation_deletes bigint NOT NULL DEFAULT 0,
    moderation_timeouts bigint NOT NULL DEFAULT 0,
    moderation_bans bigint NOT NULL DEFAULT 0,
    moderation_unbans bigint NOT NULL DEFAULT 0,
    follows bigint NOT NULL DEFAULT 0,
    subs bigint NOT NULL DEFAULT 0,
    gifted_subs bigint NOT NULL DEFAULT 0,
    bits bigint NOT NULL DEFAULT 0,
    raids bigint NOT NULL DEFAULT 0,
    raid_viewers bigint NOT NULL DEFAULT 0,
    unique_chatters bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org, channel, bucket, bucket_start)
);

-- Counters added since the table was first made: a model built by an
-- earlier version gains them in place.
ALTER TABLE {schema}.rm_channel_analytics
    ADD COLUMN IF NOT EXISTS messages bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS commands bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS commands_answered bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS commands_refused_level bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS commands_refused_cooldown bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS commands_refused_cost bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS commands_refused_other bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS clips_requested bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS clips_rendered bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS clips_failed bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS publications_queued bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS publications_published bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS publications_failed bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS moderation_actions bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS moderation_deletes bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS moderation_timeouts bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS moderation_bans bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS moderation_unbans bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS follows bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS subs bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS gifted_subs bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS bits bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS raids bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS raid_viewers bigint NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS {schema}.rm_channel_chatters (
    org text NOT NULL,
    channel text NOT NULL,
    bucket text NOT NULL,
    bucket_start timestamptz NOT NULL,
    platform text NOT NULL,
    user_id text NOT NULL,
    PRIMARY KEY (org, channel, bucket, bucket_start, platform, user_id)
);

-- What the projection remembers to attribute a clip's or a publication's
-- later events to a channel, and counts waiting for that attribution.
CREATE TABLE IF NOT EXISTS {schema}.analytics_clip_channels (
    clip_stream text PRIMARY KEY,
    channel text NOT NULL
);

CREATE TABLE IF NOT EXISTS {schema}.analytics_publication_clips (
    publication_stream text PRIMARY KEY,
    clip_stream text
);

CREATE TABLE IF NOT EXISTS {schema}.analytics_waiting (
    id bigserial PRIMARY KEY,
    org text NOT NULL,
    clip_stream text NOT NULL,
    counter text NOT NULL,
    at timestamptz NOT NULL,
    count bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS analytics_waiting_clip ON {schema}.analytics_waiting (clip_stream);
