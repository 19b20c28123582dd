-- Each org's share of the renderers: a clip request reserves its length
-- here before it is accepted, and the renderer releases it once the clip
-- is rendered or has failed for good. A reservation older than the
-- quota's staleness (a process that died between reserving and
-- releasing) no longer counts.
CREATE TABLE render_reservations
(
    clip_id     uuid PRIMARY KEY,
    org         text        NOT NULL,
    duration_ms bigint      NOT NULL,
    reserved_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX render_reservations_org ON render_reservations (org, reserved_at);
