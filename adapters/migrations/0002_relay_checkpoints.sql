-- Where each relay has got to: the (transaction_id, position) of the last
-- event the broker acknowledged. Advanced only after the acknowledgement.
CREATE TABLE relay_checkpoints
(
    relay          text PRIMARY KEY,
    transaction_id xid8        NOT NULL,
    position       bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
