//! Measures the clip renderer with real ffmpeg on a generated 720p30
//! H.264/AAC recording: render time against clip length for stream copy
//! and re-encode, and clips per minute with the default two jobs at once.
//!
//!   cargo run --release -p wavestack-adapters --example render_speed -- [source seconds]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wavestack_adapters::media::{ClipFiles, Ffmpeg, FileKey, Renderer, SourcePolicy};
use wavestack_domain::clip::ClipRequested;
use wavestack_domain::value::*;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let source_seconds: u32 = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(150);
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("media"))?;
    let source = dir.path().join("media/bench/stream.mp4");
    std::fs::create_dir_all(dir.path().join("media/bench"))?;
    let started = Instant::now();
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=duration={source_seconds}:size=1280x720:rate=30"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:duration={source_seconds}"))
        .args(["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-b:v", "3M", "-c:a", "aac", "-shortest"])
        .arg(&source)
        .status()?;
    anyhow::ensure!(status.success(), "generating the source failed");
    println!(
        "source: {source_seconds} s of 1280x720 at 30 fps, 2 s GOP, made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let renderer = Arc::new(Renderer {
        policy: SourcePolicy::new(&dir.path().join("media"), Vec::<String>::new())?,
        ffmpeg: Ffmpeg::default(),
        files: ClipFiles::new(dir.path().join("clips"), FileKey::random())?,
        public_base: "http://127.0.0.1:8081/files".into(),
    });
    println!("\n| clip length | stream copy | re-encode |\n|---|---|---|");
    for length in [5.0, 15.0, 30.0, 60.0] {
        let copy = median(&renderer, length, false, 3).await?;
        let reencode = median(&renderer, length, true, 3).await?;
        println!("| {length:.0} s | {:.2} s | {:.2} s |", copy.as_secs_f64(), reencode.as_secs_f64());
    }

    println!("\n| 30 s clips, 2 at a time | clips | elapsed | clips/minute |\n|---|---|---|---|");
    for (reencode, count) in [(false, 24), (true, 6)] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(2));
        for n in 0..count {
            let (renderer, slots) = (renderer.clone(), slots.clone());
            tasks.push(tokio::spawn(async move {
                let _slot = slots.acquire().await.unwrap();
                let start = (n as f64 * 7.0) % (source_seconds as f64 - 31.0);
                renderer.render(&org(), &request(start, 30.0, reencode)).await.map(|_| ())
            }));
        }
        for task in tasks {
            task.await?.map_err(|f| anyhow::anyhow!(f.reason))?;
        }
        let elapsed = started.elapsed();
        let mode = if reencode { "re-encode" } else { "stream copy" };
        println!(
            "| {mode} | {count} | {:.1} s | {:.0} |",
            elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64() * 60.0
        );
    }
    Ok(())
}

async fn median(renderer: &Renderer, length: f64, reencode: bool, runs: usize) -> anyhow::Result<Duration> {
    let mut times = Vec::new();
    for run in 0..runs {
        let started = Instant::now();
        renderer
            .render(&org(), &request(10.0 + run as f64 * 13.0, length, reencode))
            .await
            .map_err(|f| anyhow::anyhow!(f.reason))?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

/// The org whose media the example cuts from.
fn org() -> OrgId {
    OrgId::parse("bench").expect("a valid org")
}

fn request(start: f64, duration: f64, reencode: bool) -> ClipRequested {
    ClipRequested {
        clip_id: ClipId::new_random(),
        channel: ChannelId::parse("bench").expect("valid"),
        source: ClipSource::parse("stream.mp4").expect("valid"),
        start: ClipStart::from_seconds(start).expect("valid"),
        duration: ClipDuration::from_seconds(duration).expect("valid"),
        container: Container::Mp4,
        reencode,
        title: Title::parse("bench").expect("valid"),
        requested_by: ActorId::parse("svc:bench").expect("valid"),
    }
}
