//! Every statement of the leaderboard read model, in one place. Each takes
//! the schema the model lives in (a checked `SchemaName`, never input).

/// `returning`: the changed rows come back (for a live model's announcements).
pub(super) fn updating_rm_leaderboard(s: &str, returning: bool) -> String {
    let returning = if returning { "RETURNING org, channel, platform, user_id, author, points, messages" } else { "" };
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
         {returning}"
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

pub(super) fn setting_person(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_people (org, platform, user_id, person) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org, platform, user_id) DO UPDATE SET person = EXCLUDED.person"
    )
}

pub(super) fn clearing_person(s: &str) -> String {
    format!("DELETE FROM {s}.rm_people WHERE org = $1 AND platform = $2 AND user_id = $3")
}

/// Each account's rows of a window with its person: `$1` the org, `$4`
/// the first day of the last seven (unused by all-time).
fn accounts_with_people(schema: &str, window_rows: &str) -> String {
    format!(
        "SELECT w.*, COALESCE(p.person, w.platform || ':' || w.user_id) AS person
           FROM ({window_rows}) w
           LEFT JOIN {schema}.rm_people p ON p.org = $1 AND p.platform = w.platform AND p.user_id = w.user_id"
    )
}

/// People of the org, all time or over the last seven days: the points
/// and messages of all their accounts in every channel; the name they
/// last chatted under.
pub(super) fn people_totals(schema: &str, last_seven_days: bool) -> String {
    let window_rows = if last_seven_days {
        format!(
            "SELECT d.platform, d.user_id, a.author, d.points, d.messages, a.last_seen
               FROM {schema}.rm_leaderboard_daily d
               JOIN {schema}.rm_leaderboard a USING (org, channel, platform, user_id)
              WHERE d.org = $1 AND d.day >= $4"
        )
    } else {
        format!(
            "SELECT platform, user_id, author, points, messages, last_seen FROM {schema}.rm_leaderboard WHERE org = $1"
        )
    };
    format!(
        "SELECT person, (array_agg(author ORDER BY last_seen DESC NULLS LAST))[1] AS author,
                sum(points)::bigint AS points, sum(messages)::bigint AS messages, max(last_seen) AS last_seen,
                array_agg(DISTINCT platform || ':' || user_id ORDER BY platform || ':' || user_id) AS accounts
           FROM ({}) a GROUP BY person",
        accounts_with_people(schema, &window_rows)
    )
}

/// One page of people ranked: points, then messages, then the person.
pub(super) fn people_ranked(totals: &str) -> String {
    format!(
        "SELECT * FROM (
            SELECT row_number() OVER (ORDER BY points DESC, messages DESC, person) AS rank, *
              FROM ({totals}) t) ranked
          WHERE rank > $2 ORDER BY rank LIMIT $3"
    )
}

pub(super) fn person_of(s: &str) -> String {
    format!("SELECT person FROM {s}.rm_people WHERE org = $1 AND platform = $2 AND user_id = $3")
}

pub(super) fn accounts_of(s: &str) -> String {
    format!("SELECT platform || ':' || user_id FROM {s}.rm_people WHERE org = $1 AND person = $2 ORDER BY 1")
}
