//! The clip renderer with real ffmpeg on a video this test generates
//! (ffmpeg's `testsrc` and `sine`, H.264/AAC, one keyframe a second).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wavestack_adapters::media::{ClipFiles, Encoding, Ffmpeg, FileKey, RenderFailure, Renderer, Source, SourcePolicy};
use wavestack_domain::clip::ClipRequested;
use wavestack_domain::value::*;

/// Frames per second and keyframe interval of the generated source.
const FPS: f64 = 25.0;
const GOP_SECONDS: f64 = 1.0;

/// The org whose media the tests cut from.
fn acme() -> OrgId {
    OrgId::parse("acme").unwrap()
}

/// Every org's media, with a 20 s source of acme's, made once per test binary.
fn all_media() -> &'static Path {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let org_dir = dir.path().join("acme");
        std::fs::create_dir_all(org_dir.join("vods")).unwrap();
        let status = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=20:size=320x240:rate=25"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=20"])
            .args(["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0"])
            .args(["-c:a", "aac", "-shortest"])
            .arg(org_dir.join("vods/night.mp4"))
            .status()
            .expect("ffmpeg is installed (scripts/install-deps)");
        assert!(status.success());
        std::fs::write(org_dir.join("vods/corrupt.mp4"), b"\x00\x00\x00\x18ftypmp42 this is not a video").unwrap();
        dir
    })
    .path()
}

/// acme's own media.
fn media_root() -> PathBuf {
    all_media().join("acme")
}

struct Setup {
    renderer: Renderer,
    clips: tempfile::TempDir,
}

fn setup() -> Setup {
    setup_with(Ffmpeg::default())
}

fn setup_with(ffmpeg: Ffmpeg) -> Setup {
    let clips = tempfile::tempdir().unwrap();
    let renderer = Renderer {
        policy: SourcePolicy::new(all_media(), ["cdn.example.com".to_owned()]).unwrap(),
        ffmpeg,
        files: ClipFiles::new(clips.path(), FileKey::random()).unwrap(),
        public_base: "http://127.0.0.1:8081/files".into(),
    };
    Setup { renderer, clips }
}

fn request(source: &str, start: f64, duration: f64, container: Container, reencode: bool) -> ClipRequested {
    ClipRequested {
        clip_id: ClipId::new_random(),
        channel: ChannelId::parse("shroud").unwrap(),
        source: ClipSource::parse(source).unwrap(),
        start: ClipStart::from_seconds(start).unwrap(),
        duration: ClipDuration::from_seconds(duration).unwrap(),
        container,
        reencode,
        title: Title::parse("the play").unwrap(),
        requested_by: ActorId::parse("svc:test").unwrap(),
    }
}

async fn probe(path: &Path) -> wavestack_adapters::media::Probe {
    Ffmpeg::default().probe(&Source::File(path.to_owned())).await.unwrap()
}

/// Every file under the clips directory.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn stream_copy_cuts_the_moment_within_a_gop() {
    let setup = setup();
    let request = request("vods/night.mp4", 5.0, 4.0, Container::Mp4, false);
    let rendered = setup.renderer.render(&acme(), &request).await.unwrap();
    assert_eq!(rendered.encoding, Encoding::Copy);

    let relative = setup.renderer.files.relative(&acme(), request.clip_id.as_uuid(), "mp4");
    let file = setup.clips.path().join(&relative);
    assert_eq!(rendered.clip.uri.as_str(), format!("http://127.0.0.1:8081/files/{relative}"));
    let probed = probe(&file).await;
    let seconds = probed.duration.unwrap();
    assert!((seconds - 4.0).abs() <= GOP_SECONDS + 1.0 / FPS, "copied {seconds} s for 4 s");
    assert_eq!(rendered.clip.duration_ms, (seconds * 1000.0).round() as u64, "the probed, not the requested, length");
    assert_eq!((probed.video_codec.as_deref(), probed.audio_codec.as_deref()), (Some("h264"), Some("aac")));

    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(rendered.clip.size_bytes, bytes.len() as u64);
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(rendered.clip.sha256.as_str(), sha);
    let thumbnail = setup.clips.path().join(setup.renderer.files.relative(&acme(), request.clip_id.as_uuid(), "jpg"));
    assert_eq!(&std::fs::read(thumbnail).unwrap()[..2], b"\xff\xd8", "a JPEG");
    assert_eq!(files_under(setup.clips.path()).len(), 2, "the clip and its thumbnail, no temporaries");
}

#[tokio::test]
async fn reencoding_is_frame_exact() {
    let setup = setup();
    let request = request("vods/night.mp4", 5.4, 3.0, Container::Mp4, true);
    let rendered = setup.renderer.render(&acme(), &request).await.unwrap();
    assert_eq!(rendered.encoding, Encoding::Reencode);
    let seconds = rendered.clip.duration_ms as f64 / 1000.0;
    // The container's duration also covers the last AAC frame (1024 samples).
    assert!((seconds - 3.0).abs() <= 1.0 / FPS + 0.05, "re-encoded {seconds} s for 3 s");
}

#[tokio::test]
async fn a_container_that_cannot_hold_the_codecs_is_re_encoded() {
    let setup = setup();
    let request = request("vods/night.mp4", 2.0, 2.0, Container::Webm, false);
    let rendered = setup.renderer.render(&acme(), &request).await.unwrap();
    assert_eq!(rendered.encoding, Encoding::Reencode, "H.264/AAC cannot go into WebM as is");
    let file = setup.clips.path().join(setup.renderer.files.relative(&acme(), request.clip_id.as_uuid(), "webm"));
    let probed = probe(&file).await;
    assert_eq!((probed.video_codec.as_deref(), probed.audio_codec.as_deref()), (Some("vp9"), Some("opus")));
}

#[tokio::test]
async fn a_redelivered_job_replaces_only_its_own_output() {
    let setup = setup();
    let first = request("vods/night.mp4", 1.0, 2.0, Container::Mp4, false);
    let other = request("vods/night.mp4", 8.0, 2.0, Container::Mp4, false);
    let kept = setup.renderer.render(&acme(), &other).await.unwrap();
    let once = setup.renderer.render(&acme(), &first).await.unwrap();
    let again = setup.renderer.render(&acme(), &first).await.unwrap();
    assert_eq!(once.clip.sha256, again.clip.sha256, "the same cut again");
    let other_file = setup.clips.path().join(setup.renderer.files.relative(&acme(), other.clip_id.as_uuid(), "mp4"));
    let sha: String = Sha256::digest(std::fs::read(other_file).unwrap()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(kept.clip.sha256.as_str(), sha);
    assert_eq!(files_under(setup.clips.path()).len(), 4);
}

#[tokio::test]
async fn bad_sources_fail_for_good_with_a_reason_and_write_nothing() {
    let setup = setup();
    let outside = all_media().parent().unwrap().join(format!("outside-{}.mp4", uuid::Uuid::new_v4()));
    std::fs::copy(media_root().join("vods/night.mp4"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, media_root().join("vods/escape.mp4")).unwrap();
    let list = format!("ffconcat version 1.0\nfile '{}'\n", outside.display());
    std::fs::write(media_root().join("vods/list.ffconcat"), list).unwrap();
    let unavailable = "not a recording in this org's media";
    let cases = [
        ("../outside.mp4", unavailable),
        ("vods/escape.mp4", unavailable),
        (outside.to_str().unwrap(), unavailable),
        ("vods/missing.mp4", unavailable),
        ("https://evil.example.net/vod.mp4", "not on the source allowlist"),
        ("vods/corrupt.mp4", "Invalid data"),
        // A list that would have ffmpeg open a file the policy never saw.
        ("vods/list.ffconcat", "not on whitelist"),
    ];
    for (source, reason) in cases {
        let failure =
            setup.renderer.render(&acme(), &request(source, 0.0, 2.0, Container::Mp4, false)).await.unwrap_err();
        assert!(!failure.retryable, "{source}: {failure:?}");
        assert!(failure.reason.contains(reason), "{source}: {}", failure.reason);
    }
    // Past the end of a 20 s source.
    let failure =
        setup.renderer.render(&acme(), &request("vods/night.mp4", 60.0, 5.0, Container::Mp4, false)).await.unwrap_err();
    assert!(!failure.retryable);
    assert!(failure.reason.contains("beyond the end of the source (20.0"), "{}", failure.reason);
    assert!(files_under(setup.clips.path()).is_empty(), "nothing written");
    std::fs::remove_file(outside).unwrap();
}

#[tokio::test]
async fn a_run_past_its_timeout_is_killed_and_may_be_retried() {
    let setup = setup_with(Ffmpeg { timeout: Duration::from_millis(1), ..Ffmpeg::default() });
    let failure =
        setup.renderer.render(&acme(), &request("vods/night.mp4", 0.0, 5.0, Container::Mp4, true)).await.unwrap_err();
    assert_eq!(
        failure,
        RenderFailure { reason: "ffprobe did not finish within 1ms".into(), retryable: true },
        "transient: another attempt may succeed"
    );
    assert!(files_under(setup.clips.path()).is_empty());
}
