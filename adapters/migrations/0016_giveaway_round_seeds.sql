-- The seeds of a giveaway's redraws (issue 26, item 11): each draw commits
-- to the next round's seed (`next_commitment` in `WinnersDrawn`), made
-- here at that draw and revealed by the redraw. Round 0's seed stays in
-- `giveaway_seeds`, committed to at open.
CREATE TABLE giveaway_round_seeds (
    giveaway_stream text NOT NULL,
    round integer NOT NULL CHECK (round > 0),
    seed bytea NOT NULL CHECK (length(seed) = 32),
    PRIMARY KEY (giveaway_stream, round)
);
