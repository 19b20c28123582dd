//! Every statement of the community read model, in one place. Each takes
//! the schema the model lives in (a checked `SchemaName`, never input).

pub(super) fn inserting_giveaway(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_giveaways (org, giveaway_id, title, channels, keyword, cost, min_level, subscriber_luck,
                closes_at, commitment, phase, entries, seed, rounds, winners, opened_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', 0, NULL, 0, '[]'::jsonb, $11, $11)
         ON CONFLICT (org, giveaway_id) DO NOTHING"
    )
}

/// `$3` entries added, `$4` a phase (or NULL to keep), `$5` the time.
pub(super) fn updating_giveaway(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_giveaways SET entries = entries + $3, phase = COALESCE($4, phase), updated_at = $5
          WHERE org = $1 AND giveaway_id = $2"
    )
}

/// `$3` the seed, `$4` the round's winners (a JSON array), `$5` the time.
/// The seed kept is the first draw's, the one the opening's commitment
/// checks; a redraw's own seed (checked by the round before's
/// `next_commitment`) is on the log.
pub(super) fn drawing_giveaway(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_giveaways SET phase = 'drawn', seed = COALESCE(seed, $3), rounds = rounds + 1, winners = winners || $4,
                updated_at = $5
          WHERE org = $1 AND giveaway_id = $2"
    )
}

pub(super) fn giveaway_columns() -> &'static str {
    "giveaway_id, title, channels, keyword, cost, min_level, subscriber_luck, closes_at, commitment, phase, entries,
     seed, rounds, winners, opened_at, updated_at"
}

pub(super) fn inserting_poll(s: &str) -> String {
    format!(
        "INSERT INTO {s}.rm_polls (org, poll_id, question, options, channels, allow_change, phase, counts, opened_at,
                closes_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9)
         ON CONFLICT (org, poll_id) DO NOTHING"
    )
}

/// A vote: `$3` the option's index from 1, `$4` the previous one's or NULL.
pub(super) fn counting_vote(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_polls SET counts = (
            SELECT array_agg(c + CASE WHEN i = $3 THEN 1 WHEN i = $4 THEN -1 ELSE 0 END ORDER BY i)
              FROM unnest(counts) WITH ORDINALITY AS u(c, i))
          WHERE org = $1 AND poll_id = $2"
    )
}

/// `$3` the phase, `$4` the final counts (or NULL to keep), `$5` the time.
pub(super) fn ending_poll(s: &str) -> String {
    format!(
        "UPDATE {s}.rm_polls SET phase = $3, counts = COALESCE($4, counts), closed_at = $5
          WHERE org = $1 AND poll_id = $2"
    )
}

pub(super) fn poll_columns() -> &'static str {
    "poll_id, question, options, channels, allow_change, phase, counts, opened_at, closes_at, closed_at"
}
