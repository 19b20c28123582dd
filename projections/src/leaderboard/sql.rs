//! Every statement of the leaderboard read model, in one place. Each takes
//! the schema the model lives in (a checked `SchemaName`, never input).

pub(super) fn updating_rm_leaderboard(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_leaderboard AS r (org, platform, channel, user_id, author, points, messages, last_seen)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                              $7::bigint[], $8::timestamptz[])
         ON CONFLICT (org, channel, platform, user_id) DO UPDATE SET
            points = r.points + EXCLUDED.points,
            messages = r.messages + EXCLUDED.messages,
            author = CASE WHEN EXCLUDED.last_seen >= r.last_seen OR r.last_seen IS NULL
                          THEN COALESCE(EXCLUDED.author, r.author) ELSE r.author END,
            last_seen = GREATEST(r.last_seen, EXCLUDED.last_seen)
         RETURNING org, channel, platform, user_id, author, points, messages"
    )
}

pub(super) fn updating_rm_leaderboard_daily(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_leaderboard_daily AS r (org, platform, channel, user_id, day, points, messages)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::bigint[], $7::bigint[])
         ON CONFLICT (org, channel, day, platform, user_id) DO UPDATE SET
            points = r.points + EXCLUDED.points, messages = r.messages + EXCLUDED.messages"
    )
}

/// A viewer's totals of all time: the rows `ranked` ranks.
pub(super) fn totals_all_time(schema: &str) -> String {
    format!(
        "SELECT platform, user_id, author, points, messages, last_seen FROM {schema}.rm_leaderboard
          WHERE org = $1 AND channel = $2"
    )
}

/// … and of the last seven UTC days (`$5`: the first of them).
pub(super) fn totals_last_seven_days(schema: &str) -> String {
    format!(
        "SELECT d.platform, d.user_id, a.author, sum(d.points)::bigint AS points,
                sum(d.messages)::bigint AS messages, a.last_seen
           FROM {schema}.rm_leaderboard_daily d
           JOIN {schema}.rm_leaderboard a USING (org, channel, platform, user_id)
          WHERE d.org = $1 AND d.channel = $2 AND d.day >= $5
          GROUP BY d.platform, d.user_id, a.author, a.last_seen"
    )
}

/// One page of ranks over `totals`, ties broken by messages, then
/// platform and user id.
pub(super) fn ranked(totals: &str) -> String {
    format!(
        "SELECT * FROM (
            SELECT row_number() OVER (ORDER BY points DESC, messages DESC, platform, user_id) AS rank, *
              FROM ({totals}) w) ranked
          WHERE rank > $3 ORDER BY rank LIMIT $4"
    )
}
