-- The bots' feed reads every command decision (`command_use` events, which
-- carry the bot's replies) in commit order, as the relay does: by
-- (transaction_id, position), below the snapshot's xmin horizon.
CREATE INDEX events_command_use_order ON events (transaction_id, position) WHERE aggregate_type = 'command_use';
