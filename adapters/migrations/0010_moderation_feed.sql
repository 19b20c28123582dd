-- The bots' feed also reads moderation decisions and moderators' actions
-- (chat events that carry a platform action), in commit order.
CREATE INDEX events_moderation_order ON events (transaction_id, position)
 WHERE aggregate_type = 'chat' AND event_type IN ('MessageModerated', 'ModeratorActed');
