//! Every statement of the queue read model, in one place. Each takes
//! the schema the model lives in (a checked `SchemaName`, never input).

/// The columns a clip job and a publication are read with.
pub(super) const CLIP_COLUMNS: &str =
    "org, clip_id, clip_stream, channel, title, source, start_ms, duration_ms, container, \
    reencode, requested_by, status, attempts, worker, error, retryable, media_uri, thumbnail_uri, \
    rendered_duration_ms, size_bytes, sha256, requested_at, updated_at";
pub(super) const PUBLICATION_COLUMNS: &str =
    "org, publication_id, publication_stream, channel, clip_id, asset_url, title, \
    caption, hashtags, scheduled_at, waiting_for_asset, media_uri, cancelled, created_at, updated_at";

pub(super) fn inserting_a_clip_job(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_clip_jobs (clip_stream, org, clip_id, channel, title, source, start_ms,
                    duration_ms, container, reencode, requested_by, status, requested_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'requested', $12, $12)
                 ON CONFLICT DO NOTHING"
    )
}

pub(super) fn giving_publications_their_clips_channel(s: &str) -> String {
    format!("UPDATE {s}.rm_publications SET channel = $2 WHERE clip_stream = $1 AND channel IS NULL")
}

pub(super) fn marking_a_clip_rendering(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_clip_jobs SET status = 'rendering', attempts = $2, worker = $3, error = NULL,
                    retryable = NULL, updated_at = $4 WHERE clip_stream = $1"
    )
}

pub(super) fn marking_a_clip_rendered(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_clip_jobs SET status = 'rendered', error = NULL, retryable = NULL, media_uri = $2,
                    thumbnail_uri = $3, rendered_duration_ms = $4, size_bytes = $5, sha256 = $6, updated_at = $7
                 WHERE clip_stream = $1"
    )
}

pub(super) fn marking_a_clip_failed(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_clip_jobs SET status = 'failed', attempts = GREATEST(attempts, $2), error = $3,
                    retryable = $4, updated_at = $5 WHERE clip_stream = $1"
    )
}

pub(super) fn marking_a_clip_deleted(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_clip_jobs SET status = 'deleted', error = $2, media_uri = NULL, thumbnail_uri = NULL,
                    updated_at = $3 WHERE clip_stream = $1"
    )
}

pub(super) fn inserting_a_publication(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_publications (publication_stream, org, publication_id, channel, clip_stream,
                    clip_id, asset_url, title, caption, hashtags, scheduled_at, waiting_for_asset, created_at,
                    updated_at)
                 VALUES ($1, $2, $3, (SELECT channel FROM {s}.rm_clip_jobs WHERE clip_stream = $4), $4, $5, $6, $7,
                    $8, $9, $10, $11, $12, $12)
                 ON CONFLICT DO NOTHING"
    )
}

pub(super) fn inserting_publication_targets(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_publication_targets (publication_stream, platform, org, status, updated_at)
                 SELECT $1, platform, $2, 'pending', $3 FROM UNNEST($4::text[]) AS platform
                 ON CONFLICT DO NOTHING"
    )
}

pub(super) fn cancelling_publication_targets(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_publication_targets SET status = 'cancelled', next_retry_at = NULL, updated_at = $2
                  WHERE publication_stream = $1 AND status NOT IN ('published', 'gave_up')"
    )
}

pub(super) fn marking_a_target_attempting(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_publication_targets SET status = 'attempting', attempts = $3, next_retry_at = NULL,
                    updated_at = $4 WHERE publication_stream = $1 AND platform = $2"
    )
}

pub(super) fn marking_a_target_published(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_publication_targets SET status = 'published', attempts = GREATEST(attempts, $3),
                    post_id = $4, post_url = $5, next_retry_at = NULL, updated_at = $6
                  WHERE publication_stream = $1 AND platform = $2"
    )
}

pub(super) fn marking_a_target_failed(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_publication_targets SET status = $3, attempts = GREATEST(attempts, $4),
                    last_error = $5, next_retry_at = $6, updated_at = $7
                  WHERE publication_stream = $1 AND platform = $2"
    )
}

pub(super) fn setting_a_publication_column(s: &str, assignment: &str) -> String {
    format!("UPDATE {s}.rm_publications SET {assignment}, updated_at = $2 WHERE publication_stream = $1")
}

pub(super) fn reading_a_clip_job(s: &str) -> String {
    format!("SELECT {CLIP_COLUMNS} FROM {s}.rm_clip_jobs WHERE org = $1 AND clip_id = $2")
}

pub(super) fn reading_a_clip_job_by_stream(s: &str) -> String {
    format!("SELECT {CLIP_COLUMNS} FROM {s}.rm_clip_jobs WHERE clip_stream = $1")
}

pub(super) fn listing_clip_jobs(s: &str) -> String {
    format!(
        "SELECT {CLIP_COLUMNS} FROM {s}.rm_clip_jobs
              WHERE org = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR channel = $3)
                AND ($4::timestamptz IS NULL OR (requested_at, clip_id) < ($4, $5))
              ORDER BY requested_at DESC, clip_id DESC LIMIT $6"
    )
}

pub(super) fn reading_a_publication(s: &str) -> String {
    format!("SELECT {PUBLICATION_COLUMNS} FROM {s}.rm_publications WHERE org = $1 AND publication_id = $2")
}

pub(super) fn reading_a_publication_by_stream(s: &str) -> String {
    format!("SELECT {PUBLICATION_COLUMNS} FROM {s}.rm_publications WHERE publication_stream = $1")
}

pub(super) fn listing_publications(s: &str) -> String {
    format!(
        "SELECT {PUBLICATION_COLUMNS} FROM {s}.rm_publications p
              WHERE org = $1 AND ($2::text IS NULL OR channel = $2)
                AND ($3::timestamptz IS NULL OR (created_at, publication_id) < ($3, $4))
                AND EXISTS (SELECT 1 FROM {s}.rm_publication_targets t
                             WHERE t.publication_stream = p.publication_stream
                               AND ($5::text IS NULL OR t.status = $5) AND ($6::text IS NULL OR t.platform = $6))
              ORDER BY created_at DESC, publication_id DESC LIMIT $7"
    )
}

pub(super) fn reading_publication_targets(s: &str) -> String {
    format!(
        "SELECT publication_stream, platform, status, attempts, last_error, next_retry_at, post_id, post_url, updated_at
           FROM {s}.rm_publication_targets
          WHERE publication_stream = ANY($1) AND ($2::text IS NULL OR status = $2)
            AND ($3::text IS NULL OR platform = $3)
          ORDER BY publication_stream, platform"
    )
}
