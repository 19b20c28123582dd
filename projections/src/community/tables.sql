CREATE TABLE IF NOT EXISTS {schema}.rm_giveaways (
    org text NOT NULL,
    giveaway_id uuid NOT NULL,
    title text NOT NULL,
    channels text[] NOT NULL,
    keyword text NOT NULL,
    cost bigint NOT NULL,
    min_level text NOT NULL,
    subscriber_luck int NOT NULL,
    closes_at timestamptz,
    commitment text NOT NULL,
    phase text NOT NULL,
    entries bigint NOT NULL,
    seed text,
    rounds int NOT NULL,
    winners jsonb NOT NULL,
    opened_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org, giveaway_id)
);

CREATE TABLE IF NOT EXISTS {schema}.rm_polls (
    org text NOT NULL,
    poll_id uuid NOT NULL,
    question text NOT NULL,
    options text[] NOT NULL,
    channels text[] NOT NULL,
    allow_change boolean NOT NULL,
    phase text NOT NULL,
    counts bigint[] NOT NULL,
    opened_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    closed_at timestamptz,
    PRIMARY KEY (org, poll_id)
);
