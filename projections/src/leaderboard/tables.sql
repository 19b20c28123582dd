-- Points and messages per viewer per channel, all time and per day.
CREATE TABLE IF NOT EXISTS {schema}.rm_leaderboard (
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    user_id text NOT NULL,
    author text,
    points bigint NOT NULL,
    messages bigint NOT NULL,
    last_seen timestamptz,
    PRIMARY KEY (org, channel, platform, user_id)
);

CREATE TABLE IF NOT EXISTS {schema}.rm_leaderboard_daily (
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    user_id text NOT NULL,
    day date NOT NULL,
    points bigint NOT NULL,
    messages bigint NOT NULL,
    PRIMARY KEY (org, channel, day, platform, user_id)
);

-- Which person a platform account is linked to.
CREATE TABLE IF NOT EXISTS {schema}.rm_people (
    org text NOT NULL,
    platform text NOT NULL,
    user_id text NOT NULL,
    person text NOT NULL,
    PRIMARY KEY (org, platform, user_id)
);
