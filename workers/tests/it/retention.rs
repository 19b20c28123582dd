//! Clip retention against the real log: clips rendered through the command
//! bus, relayed to a real broker, projected into the queue read model; the
//! retention sweep deletes the files of the one past its age and records
//! the deletion as an event, and leaves the recent one alone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{bus, clip_request, memory_broker, metadata, relay};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::media::{ClipFiles, FileKey};
use wavestack_domain::clip::{self, ClipCommand, ClipStatus, RenderedClip};
use wavestack_domain::value::*;
use wavestack_projections::queue::Queue;
use wavestack_projections::{ProjectionRunner, RunnerConfig};
use wavestack_schemas::Codec;
use wavestack_workers::retention::{ClipRetention, RetentionConfig};

const BASE: &str = "http://127.0.0.1:8081/files";

/// A clip of acme rendered `days_ago`, with its two files on disk.
async fn rendered(pool: &PgPool, files: &ClipFiles, days_ago: i64) -> (ClipId, String) {
    let acme = OrgId::parse("acme").unwrap();
    let clip_id = ClipId::new_random();
    let stream = clip::stream_id(&acme, clip_id);
    let bus = bus(pool);
    let request = ClipCommand::RequestClip(clip_request(clip_id, "shroud", "vods/a.mkv", 0.0, 10.0));
    bus.clip.execute(&stream, request, &metadata("acme")).await.unwrap();
    let start = ClipCommand::StartRendering { worker: ActorId::parse("svc:renderer").unwrap() };
    bus.clip.execute(&stream, start, &metadata("acme")).await.unwrap();
    for ext in ["mp4", "jpg"] {
        let path = files.dir().join(files.relative(&acme, clip_id.as_uuid(), ext));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"media").unwrap();
    }
    let uri = |ext: &str| MediaUri::parse(format!("{BASE}/{}", files.relative(&acme, clip_id.as_uuid(), ext))).unwrap();
    let complete = ClipCommand::CompleteRendering(RenderedClip {
        uri: uri("mp4"),
        thumbnail_uri: uri("jpg"),
        duration_ms: 10_000,
        size_bytes: 5,
        sha256: ContentHash::parse("a".repeat(64)).unwrap(),
    });
    let when = time::OffsetDateTime::now_utc() - time::Duration::days(days_ago);
    let meta =
        wavestack_domain::metadata::EventMetadata { occurred_at: Timestamp::from_datetime(when), ..metadata("acme") };
    bus.clip.execute(&stream, complete, &meta).await.unwrap();
    (clip_id, stream.into())
}

async fn job_status(pool: &PgPool, stream: &str) -> Option<(String, Option<String>)> {
    sqlx::query_as("SELECT status, media_uri FROM projection_queue.rm_clip_jobs WHERE clip_stream = $1")
        .bind(stream)
        .fetch_optional(pool)
        .await
        .ok()
        .flatten()
}

async fn until_status(pool: &PgPool, stream: &str, status: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((now, media)) = job_status(pool, stream).await {
            if now == status {
                return media;
            }
        }
        assert!(Instant::now() < deadline, "{stream} never {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_clip_past_its_age_is_deleted_and_the_deletion_is_an_event(pool: PgPool) {
    let (_broker, kafka) = memory_broker().await;
    let cancel = CancellationToken::new();
    tokio::spawn(relay(&pool, &kafka).await.run(cancel.clone()));
    let runner = ProjectionRunner::start(
        &pool,
        &kafka,
        Codec::from_catalog().unwrap(),
        Queue,
        RunnerConfig::for_projection(&Queue),
        &cancel,
    )
    .await
    .unwrap()
    .unwrap();
    tokio::spawn(runner.run(cancel.clone()));
    let dir = tempfile::tempdir().unwrap();
    let files = ClipFiles::new(dir.path(), FileKey::random()).unwrap();
    let (old, old_stream) = rendered(&pool, &files, 40).await;
    let (recent, recent_stream) = rendered(&pool, &files, 1).await;
    until_status(&pool, &old_stream, "rendered").await;
    until_status(&pool, &recent_stream, "rendered").await;

    let retention = ClipRetention::new(
        pool.clone(),
        Arc::new(bus(&pool)),
        files.clone(),
        RetentionConfig::new(Duration::from_secs(30 * 86_400)),
    );
    assert_eq!(retention.sweep().await.unwrap(), 1, "only the 40-day-old clip");
    let acme = OrgId::parse("acme").unwrap();
    let exists = |clip: ClipId, ext: &str| files.dir().join(files.relative(&acme, clip.as_uuid(), ext)).exists();
    assert!(!exists(old, "mp4") && !exists(old, "jpg"), "the old clip's files are gone");
    assert!(exists(recent, "mp4") && exists(recent, "jpg"), "the recent clip is kept");

    let state = bus(&pool).clip.load(&old_stream).await.unwrap();
    assert_eq!((state.status(), state.rendered()), (Some(ClipStatus::Deleted), None));
    let (actor, reason): (String, String) = sqlx::query_as(
        "SELECT metadata->>'actor', payload->'ClipDeleted'->>'reason' FROM events
          WHERE aggregate_id = $1 AND event_type = 'ClipDeleted'",
    )
    .bind(&old_stream)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(actor, "svc:retention");
    assert!(reason.contains("retention") && reason.contains("30 days"), "{reason}");

    // The read model hands out no URL for it; a second sweep deletes nothing.
    assert_eq!(until_status(&pool, &old_stream, "deleted").await, None);
    assert_eq!(retention.sweep().await.unwrap(), 0);
    cancel.cancel();
}
