-- Stored answers are sealed and requests fingerprinted with a deployment
-- secret from now on (issue 26, item 9). What was kept before, in plain
-- text (link codes, new overlay keys) and under bare SHA-256 fingerprints
-- (of bodies holding passwords), is dropped rather than left for a day.
-- A retry of such a request runs again; as after a crash, the ids it
-- creates derive from its key, so it does not create a second of anything.
DELETE FROM idempotency_keys;
