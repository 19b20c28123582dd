-- Webhook deliveries waiting for their channel's gateway (issue 27), owned
-- by `adapters::platform_inbox`. A platform pushes a delivery to whichever
-- process its load balancer picks; that process stores it here, one row per
-- connected channel it concerns, before it answers 2xx, and the process
-- holding the channel's lease hears the rows in order and deletes them once
-- heard. So a delivery is never lost to a process that dies after taking it,
-- and a channel is heard and answered by one process at a time.
--
-- Rows hold what the platform sent: chat lines and stream events, no
-- credential. They go with their connection (ON DELETE CASCADE).
CREATE TABLE platform_inbox (
    seq bigserial PRIMARY KEY,
    org text NOT NULL,
    platform text NOT NULL,
    channel text NOT NULL,
    -- The platform's delivery id: a redelivery of a row not yet heard is
    -- not stored twice (one heard already is recognised by the brain).
    message_id text NOT NULL,
    -- The subscription type, or `revocation`.
    kind text NOT NULL,
    sent_at text,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org, platform, channel, message_id),
    FOREIGN KEY (org, platform, channel) REFERENCES platform_connections (org, platform, channel) ON DELETE CASCADE
);

CREATE INDEX platform_inbox_by_channel ON platform_inbox (org, platform, channel, seq);
