//! Every statement of the moderation read model. Each takes the schema the
//! model lives in (a checked `SchemaName`, never input).

/// Strike expiries a standing keeps: more than any ladder counts.
const KEPT_STRIKES: i32 = 100;

/// `$1..$17`: the row; inserts nothing for a row already there.
pub(super) fn inserting_log(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_moderation_log (org, platform, channel, user_id, stream, sequence, at, action, cause,
                evidence, reason, decided_by, message_id, author, text, seconds, strikes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (stream, sequence) DO NOTHING"
    )
}

/// `$1..$4` the viewer, `$5` their name if known, `$6` when, `$7` a
/// strike's expiry, `$8` a timeout's end, `$9` the change: strike, timeout,
/// ban, clear (an unban) or pardon.
pub(super) fn updating_standing(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_moderation_standing AS r (org, platform, channel, user_id, author, last_action_at,
                strike_expiries, timeouts, timed_out_until, bans, banned)
         VALUES ($1, $2, $3, $4, $5::text, $6::timestamptz,
                 CASE WHEN $9::text = 'strike' THEN ARRAY[$7::timestamptz] ELSE '{{}}'::timestamptz[] END,
                 CASE WHEN $9 = 'timeout' THEN 1 ELSE 0 END,
                 CASE WHEN $9 = 'timeout' THEN $8::timestamptz END,
                 CASE WHEN $9 = 'ban' THEN 1 ELSE 0 END,
                 $9 = 'ban')
         ON CONFLICT (org, platform, channel, user_id) DO UPDATE SET
            author = COALESCE(EXCLUDED.author, r.author),
            last_action_at = GREATEST(r.last_action_at, EXCLUDED.last_action_at),
            strike_expiries = CASE
                WHEN $9 = 'strike'
                    THEN (r.strike_expiries || $7)[greatest(1, cardinality(r.strike_expiries) + 2 - {KEPT_STRIKES}):]
                WHEN $9 IN ('clear', 'pardon') THEN '{{}}'
                ELSE r.strike_expiries END,
            timeouts = r.timeouts + EXCLUDED.timeouts,
            timed_out_until = CASE WHEN $9 = 'timeout' THEN $8 WHEN $9 = 'clear' THEN NULL
                                   ELSE r.timed_out_until END,
            bans = r.bans + EXCLUDED.bans,
            banned = CASE WHEN $9 = 'ban' THEN true WHEN $9 = 'clear' THEN false ELSE r.banned END"
    )
}

/// A channel's log, newest first, after the keyset `($8 at, $9 sequence,
/// $10 stream)` when given, narrowed by viewer `$4`, action `$5` and cause
/// `$6`; at most `$7` rows.
pub(super) fn reading_log(s: &str) -> String {
    format!(
        "SELECT user_id, author, at, action, cause, evidence, reason, decided_by, message_id, text, seconds,
                strikes, stream, sequence
           FROM {s}.rm_moderation_log
          WHERE org = $1 AND platform = $2 AND channel = $3
            AND ($4::text IS NULL OR user_id = $4) AND ($5::text IS NULL OR action = $5)
            AND ($6::text IS NULL OR cause = $6)
            AND ($8::timestamptz IS NULL OR (at, sequence, stream) < ($8, $9::bigint, $10::text))
          ORDER BY at DESC, sequence DESC, stream DESC
          LIMIT $7"
    )
}

/// A viewer's standing now: strikes that still count, a timeout still running.
pub(super) fn reading_standing(s: &str) -> String {
    format!(
        "SELECT user_id, author,
                ARRAY(SELECT e FROM unnest(strike_expiries) e WHERE e > now() ORDER BY e) AS strike_expiries,
                timeouts, CASE WHEN timed_out_until > now() THEN timed_out_until END AS timed_out_until,
                bans, banned, last_action_at
           FROM {s}.rm_moderation_standing
          WHERE org = $1 AND platform = $2 AND channel = $3 AND user_id = $4"
    )
}
