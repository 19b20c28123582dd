-- Workers (clip renderer, chat clipper, publisher) read the log partition by
-- partition. A worker owns a partition while it holds a session advisory
-- lock on it, and shares the partitions fairly with the other live members
-- of its group; Kafka group rebalancing is not used because the local
-- broker (tansu 0.6) does not hand a dead member's partitions to the living.

-- Next offset to read per partition, stored after each record is handled.
CREATE TABLE worker_offsets
(
    worker_group text        NOT NULL,
    topic        text        NOT NULL,
    partition    integer     NOT NULL,
    next_offset  bigint      NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (worker_group, topic, partition)
);

-- Live members of each group, by heartbeat.
CREATE TABLE worker_members
(
    worker_group text        NOT NULL,
    member       text        NOT NULL,
    seen_at      timestamptz NOT NULL,
    PRIMARY KEY (worker_group, member)
);
