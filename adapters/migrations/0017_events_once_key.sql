-- Exactly once without a window (issue 26, item 5). An event that settles
-- something once and for all in its stream (a transfer credited, a price
-- refunded, a command's use decided) carries a once key, derived from its
-- payload by the aggregate (`Decider::once_key`), and a stream holds each
-- key at most once. The aggregates' own memory of what they settled is
-- bounded (the last thousand), so a settlement running after more than
-- that, a catch-up after a broker stall, was decided again; the store now
-- refuses the second. Not part of the hash chain: it is read from the
-- payload, which is.
ALTER TABLE events ADD COLUMN once_key text;

CREATE UNIQUE INDEX events_once_key ON events (aggregate_type, aggregate_id, once_key)
    WHERE once_key IS NOT NULL;
