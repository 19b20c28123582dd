-- A giveaway's secret seed, kept out of the log until the draw reveals it
-- in `WinnersDrawn` (its SHA-256 is published at open).
CREATE TABLE giveaway_seeds (
    giveaway_stream text PRIMARY KEY,
    seed bytea NOT NULL CHECK (length(seed) = 32)
);

-- The key link codes are digested with (HMAC-SHA256), so that neither the
-- log nor the events table lets anyone redeem a code. One row, made by the
-- first API that needs it.
CREATE TABLE link_code_key (
    id smallint PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL CHECK (length(key) = 32)
);

-- `!verify CODE` finds the root that issued the code by its digest.
CREATE INDEX events_link_codes ON events ((payload -> 'LinkCodeIssued' ->> 'code_digest'))
    WHERE aggregate_type = 'identity' AND event_type = 'LinkCodeIssued';
