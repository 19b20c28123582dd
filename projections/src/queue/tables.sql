-- Clip jobs: what was asked for and where rendering stands.
CREATE TABLE IF NOT EXISTS {schema}.rm_clip_jobs (
    clip_stream text PRIMARY KEY,
    org text NOT NULL,
    clip_id uuid NOT NULL,
    channel text NOT NULL,
    title text NOT NULL,
    source text NOT NULL,
    start_ms bigint NOT NULL,
    duration_ms bigint NOT NULL,
    container text NOT NULL,
    reencode boolean NOT NULL,
    requested_by text NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    worker text,
    error text,
    retryable boolean,
    media_uri text,
    thumbnail_uri text,
    rendered_duration_ms bigint,
    size_bytes bigint,
    sha256 text,
    requested_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (org, clip_id)
);
CREATE INDEX IF NOT EXISTS rm_clip_jobs_list ON {schema}.rm_clip_jobs (org, requested_at DESC, clip_id DESC);

-- Publications, and per platform where each stands.
CREATE TABLE IF NOT EXISTS {schema}.rm_publications (
    publication_stream text PRIMARY KEY,
    org text NOT NULL,
    publication_id uuid NOT NULL,
    channel text,
    clip_stream text,
    clip_id uuid,
    asset_url text,
    title text NOT NULL,
    caption text NOT NULL,
    hashtags text[] NOT NULL,
    scheduled_at timestamptz,
    waiting_for_asset boolean NOT NULL,
    media_uri text,
    cancelled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (org, publication_id)
);
CREATE INDEX IF NOT EXISTS rm_publications_clip ON {schema}.rm_publications (clip_stream);

CREATE TABLE IF NOT EXISTS {schema}.rm_publication_targets (
    publication_stream text NOT NULL,
    platform text NOT NULL,
    org text NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    next_retry_at timestamptz,
    post_id text,
    post_url text,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (publication_stream, platform)
);
