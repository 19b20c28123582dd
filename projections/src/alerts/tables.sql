-- A channel's support in the order its broadcast stream recorded it
-- (`seq`), as the alerts overlay shows it. Gifted subs are not kept: their
-- gift is the alert.
CREATE TABLE IF NOT EXISTS {schema}.rm_alerts (
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    seq bigint NOT NULL,
    kind text NOT NULL,
    user_name text,
    tier text,
    amount bigint NOT NULL,
    message text NOT NULL,
    reward text NOT NULL,
    points bigint NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (org, platform, channel, seq)
);

-- Each kind's template as the channel configured it; a kind not here
-- shows the default.
CREATE TABLE IF NOT EXISTS {schema}.rm_alert_settings (
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    kind text NOT NULL,
    template text NOT NULL,
    enabled boolean NOT NULL,
    PRIMARY KEY (org, platform, channel, kind)
);
