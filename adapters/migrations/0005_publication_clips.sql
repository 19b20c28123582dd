-- Which publications wait for which clip, kept by the asset-ready worker so
-- that a clip rendered before or after its publication was created marks
-- the publication's asset ready either way.
CREATE TABLE worker_publication_clips
(
    clip_stream        text NOT NULL,
    publication_stream text NOT NULL,
    PRIMARY KEY (clip_stream, publication_stream)
);
