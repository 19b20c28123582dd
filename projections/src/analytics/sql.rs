//! Every statement of the analytics read model, in one place. Each takes
//! the schema the model lives in (a checked `SchemaName`, never input).

pub(super) fn remembering_clip_channels(s: &str) -> String {
    format!(
        "INSERT INTO {s}.analytics_clip_channels SELECT * FROM UNNEST($1::text[], $2::text[]) ON CONFLICT DO NOTHING"
    )
}

pub(super) fn remembering_publication_clips(s: &str) -> String {
    format!(
        "INSERT INTO {s}.analytics_publication_clips SELECT * FROM UNNEST($1::text[], $2::text[])
         ON CONFLICT DO NOTHING"
    )
}

pub(super) fn reading_publication_clips(s: &str) -> String {
    format!(
        "SELECT publication_stream, clip_stream FROM {s}.analytics_publication_clips
              WHERE publication_stream = ANY($1)"
    )
}

pub(super) fn reading_clip_channels(s: &str) -> String {
    format!("SELECT clip_stream, channel FROM {s}.analytics_clip_channels WHERE clip_stream = ANY($1)")
}

pub(super) fn keeping_counts_until_their_clip_is_known(s: &str) -> String {
    format!(
        "INSERT INTO {s}.analytics_waiting (org, clip_stream, counter, at, count)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bigint[])"
    )
}

pub(super) fn releasing_waiting_counts(s: &str) -> String {
    format!(
        "DELETE FROM {s}.analytics_waiting WHERE clip_stream = ANY($1)
         RETURNING org, clip_stream, counter, at, count"
    )
}

pub(super) fn updating_rm_channel_chatters(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_channel_chatters
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
         ON CONFLICT DO NOTHING
         RETURNING org, channel, bucket, bucket_start"
    )
}

pub(super) fn reading_channel_analytics(schema: &str) -> String {
    format!(
        "SELECT bucket_start, messages, unique_chatters, commands, commands_answered, commands_refused_level,
                commands_refused_cooldown, commands_refused_cost, commands_refused_other, clips_requested, clips_rendered, clips_failed,
                publications_queued, publications_published, publications_failed, moderation_actions,
                moderation_deletes, moderation_timeouts, moderation_bans, moderation_unbans,
                follows, subs, gifted_subs, bits, raids, raid_viewers
           FROM {schema}.rm_channel_analytics
          WHERE org = $1 AND channel = $2 AND bucket = $3 AND bucket_start >= $4 AND bucket_start < $5"
    )
}

/// Adds a batch's counts to their buckets: one column per counter.
pub(super) fn upserting_buckets(s: &str, columns: &str, arrays: &str, updates: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_channel_analytics AS r (org, channel, bucket, bucket_start, {columns})
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::timestamptz[], {arrays})
         ON CONFLICT (org, channel, bucket, bucket_start) DO UPDATE SET {updates}"
    )
}
