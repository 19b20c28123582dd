-- What every projection's schema holds besides its read model: the
-- consumed offsets and the last sequence applied per aggregate, written in
-- the same transaction as the model (exactly-once).
CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.offsets (
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);

CREATE TABLE IF NOT EXISTS {schema}.positions (
    aggregate_id text PRIMARY KEY,
    last_sequence bigint NOT NULL
);
