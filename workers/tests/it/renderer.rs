//! The clip renderer as a worker group on the real log: clip requests
//! written through the command bus, relayed to a real broker, rendered with
//! real ffmpeg, reported back through the command bus.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{bus, clip_request, drain, memory_broker, metadata, relay};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::consumer::group::{self as partitions, GroupConfig};
use wavestack_adapters::kafka::KafkaConfig;
use wavestack_adapters::media::{ClipFiles, Ffmpeg, FileKey, Renderer, SourcePolicy};
use wavestack_domain::clip::{self, ClipCommand, ClipState, ClipStatus};
use wavestack_domain::value::*;
use wavestack_schemas::Codec;
use wavestack_workers::renderer::ClipRenderer;

struct Studio {
    dir: tempfile::TempDir,
    /// One key for every renderer of the studio, as for one deployment.
    key: FileKey,
}

impl Studio {
    /// A media root with a 12 s H.264/AAC source, and an empty clips directory.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("media/acme/vods")).unwrap();
        let status = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=12:size=320x240:rate=25"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=12", "-c:v", "libx264", "-preset", "ultrafast"])
            .args(["-g", "25", "-c:a", "aac", "-shortest"])
            .arg(dir.path().join("media/acme/vods/night.mp4"))
            .status()
            .unwrap();
        assert!(status.success());
        Self { dir, key: FileKey::random() }
    }

    fn clips(&self) -> PathBuf {
        self.dir.path().join("clips")
    }

    /// Where acme's clip lands under the clips directory.
    fn relative(&self, clip_id: ClipId, extension: &str) -> String {
        let files = ClipFiles::new(self.clips(), self.key.clone()).unwrap();
        files.relative(&OrgId::parse("acme").unwrap(), clip_id.as_uuid(), extension)
    }

    fn renderer(&self, ffmpeg: Ffmpeg) -> Renderer {
        Renderer {
            policy: SourcePolicy::new(&self.dir.path().join("media"), Vec::<String>::new()).unwrap(),
            ffmpeg,
            files: ClipFiles::new(self.clips(), self.key.clone()).unwrap(),
            public_base: "http://127.0.0.1:8081/files".into(),
        }
    }

    /// A stand-in for a tool: runs `prelude` (shell), then the real tool.
    fn wrapped(&self, tool: &str, name: &str, prelude: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{prelude}\nexec {tool} \"$@\"\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

async fn request(pool: &PgPool, source: &str) -> (ClipId, String) {
    let clip_id = ClipId::new_random();
    let meta = metadata("acme");
    let stream = clip::stream_id(&meta.org, clip_id);
    let command = ClipCommand::RequestClip(clip_request(clip_id, "shroud", source, 3.0, 4.0));
    bus(pool).clip.execute(&stream, command, &meta).await.unwrap();
    (clip_id, stream.into())
}

/// A renderer member, quick to notice others come and go.
fn start_worker(
    pool: &PgPool,
    kafka: &KafkaConfig,
    renderer: Renderer,
    name: &str,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let worker = ClipRenderer::new(Arc::new(bus(pool)), renderer, ActorId::parse(name).unwrap(), 2)
        .with_retry_base(Duration::from_millis(50));
    let config = GroupConfig {
        heartbeat: Duration::from_millis(200),
        member_ttl: Duration::from_secs(1),
        ..ClipRenderer::group_config()
    };
    tokio::spawn(partitions::run(
        pool.clone(),
        kafka.clone(),
        Codec::from_catalog().unwrap(),
        config,
        worker,
        CancellationToken::new(),
    ))
}

async fn wait_for(pool: &PgPool, stream: &str, done: impl Fn(&ClipState) -> bool) -> ClipState {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let state = bus(pool).clip.load(stream).await.unwrap();
        if done(&state) {
            return state;
        }
        assert!(Instant::now() < deadline, "clip stuck at {:?}", state.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn event_types(pool: &PgPool, stream: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT event_type FROM events WHERE aggregate_id = $1 ORDER BY sequence")
        .bind(stream)
        .fetch_all(pool)
        .await
        .unwrap()
}

fn files_under(dir: &Path) -> usize {
    if !dir.exists() {
        return 0;
    }
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        count += if path.is_dir() { files_under(&path) } else { 1 };
    }
    count
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn requested_clips_are_rendered_and_bad_ones_fail_with_a_reason(pool: PgPool) {
    let studio = Studio::new();
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let (good, good_stream) = request(&pool, "vods/night.mp4").await;
    let (_, escape_stream) = request(&pool, "vods/../../etc/passwd").await;
    let (_, missing_stream) = request(&pool, "vods/missing.mp4").await;
    drain(&mut relay).await;
    let worker = start_worker(&pool, &kafka, studio.renderer(Ffmpeg::default()), "svc:renderer-a");

    let state = wait_for(&pool, &good_stream, |s| s.status() == Some(ClipStatus::Rendered)).await;
    assert_eq!(state.attempts(), 1);
    let relative = studio.relative(good, "mp4");
    assert!(studio.clips().join(&relative).is_file());
    let unavailable = "not a recording in this org's media";
    for (stream, reason) in [(&escape_stream, unavailable), (&missing_stream, unavailable)] {
        wait_for(&pool, stream, |s| s.status() == Some(ClipStatus::Failed { retryable: false })).await;
        let reason_of: String = sqlx::query_scalar(
            "SELECT payload->'ClipRenderingFailed'->>'reason' FROM events
              WHERE aggregate_id = $1 AND event_type = 'ClipRenderingFailed'",
        )
        .bind(stream)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(reason_of.contains(reason), "{reason_of}");
    }
    assert_eq!(files_under(&studio.clips()), 2, "the good clip and its thumbnail, nothing else");
    worker.abort();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_transient_failure_is_retried(pool: PgPool) {
    let studio = Studio::new();
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let (_, stream) = request(&pool, "vods/night.mp4").await;
    drain(&mut relay).await;
    // The first probe meets a network failure; later ones succeed.
    let marker = studio.dir.path().join("failed-once");
    let prelude =
        format!("if [ ! -e {m} ]; then touch {m}; echo 'Connection refused' >&2; exit 1; fi", m = marker.display());
    let ffprobe = studio.wrapped("ffprobe", "flaky-ffprobe", &prelude);
    let worker =
        start_worker(&pool, &kafka, studio.renderer(Ffmpeg { ffprobe, ..Ffmpeg::default() }), "svc:renderer-a");
    let state = wait_for(&pool, &stream, |s| s.status() == Some(ClipStatus::Rendered)).await;
    assert_eq!(state.attempts(), 2);
    assert_eq!(
        event_types(&pool, &stream).await,
        ["ClipRequested", "ClipRenderingStarted", "ClipRenderingFailed", "ClipRenderingStarted", "ClipRendered"]
    );
    worker.abort();
}

#[sqlx::test(migrator = "wavestack_adapters::postgres::MIGRATOR")]
async fn a_renderer_killed_mid_job_is_taken_over_and_the_clip_rendered_once(pool: PgPool) {
    let studio = Studio::new();
    let (_broker, kafka) = memory_broker().await;
    let mut relay = relay(&pool, &kafka).await;
    let (clip_id, stream) = request(&pool, "vods/night.mp4").await;
    drain(&mut relay).await;

    // Worker A's ffmpeg hangs: A claims the clip and is killed while cutting.
    let slow = studio.wrapped("ffmpeg", "slow-ffmpeg", "sleep 600");
    let a =
        start_worker(&pool, &kafka, studio.renderer(Ffmpeg { ffmpeg: slow, ..Ffmpeg::default() }), "svc:renderer-a");
    wait_for(&pool, &stream, |s| s.status() == Some(ClipStatus::Rendering)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.abort();
    let _ = a.await;

    let b = start_worker(&pool, &kafka, studio.renderer(Ffmpeg::default()), "svc:renderer-b");
    let state = wait_for(&pool, &stream, |s| s.status() == Some(ClipStatus::Rendered)).await;
    assert_eq!(state.attempts(), 2, "B's claim is a new attempt");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let types = event_types(&pool, &stream).await;
    assert_eq!(types, ["ClipRequested", "ClipRenderingStarted", "ClipRenderingStarted", "ClipRendered"]);
    let workers: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'ClipRenderingStarted'->>'worker' FROM events
          WHERE aggregate_id = $1 AND event_type = 'ClipRenderingStarted' ORDER BY sequence",
    )
    .bind(&stream)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(workers, ["svc:renderer-a", "svc:renderer-b"]);
    assert!(studio.clips().join(studio.relative(clip_id, "mp4")).is_file());
    assert_eq!(files_under(&studio.clips()), 2, "no half files left by A");
    b.abort();
}
