-- Publication targets the publisher could not attempt at all (a target the
-- queue read model names but no adapter can take, a store refusing the
-- claim for good): sent to `wavestack.dlq.publisher` and kept out of the
-- due targets, so that they do not hold back the ones behind them.
CREATE TABLE publisher_dead_letters
(
    publication_stream text        NOT NULL,
    platform           text        NOT NULL,
    error              text        NOT NULL,
    dead_lettered_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (publication_stream, platform)
);
