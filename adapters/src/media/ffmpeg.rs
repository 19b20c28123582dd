//! ffmpeg and ffprobe as child processes: each run confined to the
//! protocols its source needs, bounded by a wall-clock timeout (the process
//! is killed when it passes, or when the caller is dropped), its stderr kept
//! to explain a failure.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use thiserror::Error;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use super::source::Source;

/// Kept of a failing run's stderr, from its end.
const STDERR_TAIL: usize = 2_000;
/// Most bytes of a run's stderr held in memory (its end).
const STDERR_KEPT: usize = 64 * 1024;
/// Most bytes of a run's stdout held in memory: ffprobe's JSON is a few KB.
const STDOUT_KEPT: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Ffmpeg {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// Per run.
    pub timeout: Duration,
}

impl Default for Ffmpeg {
    fn default() -> Self {
        Self { ffmpeg: "ffmpeg".into(), ffprobe: "ffprobe".into(), timeout: Duration::from_secs(300) }
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum MediaError {
    #[error("{tool} did not finish within {after:?}")]
    Timeout { tool: &'static str, after: Duration },
    #[error("{tool} failed: {message}")]
    Failed { tool: &'static str, message: String, transient: bool },
    #[error("could not run {tool}: {message}")]
    Spawn { tool: &'static str, message: String },
}

impl MediaError {
    /// Worth another attempt: the network, the disk or the clock, not the
    /// input.
    pub fn is_transient(&self) -> bool {
        match self {
            MediaError::Timeout { .. } | MediaError::Spawn { .. } => true,
            MediaError::Failed { transient, .. } => *transient,
        }
    }
}

/// What ffprobe says about a file or URL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Probe {
    /// Seconds.
    pub duration: Option<f64>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
}

/// How the clip's streams are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Packets copied: fast, cut at the keyframe at or before the start.
    Copy,
    /// H.264/AAC (VP9/Opus for WebM): frame-exact, slower.
    Reencode,
}

/// ffmpeg's name for the output format of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputFormat(pub &'static str);

impl Ffmpeg {
    pub async fn probe(&self, source: &Source) -> Result<Probe, MediaError> {
        let mut args =
            args(["-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name", "-of", "json"]);
        args.extend(input(source));
        let output = self.run("ffprobe", &self.ffprobe, args).await?;
        parse_probe(&output).map_err(|message| MediaError::Failed { tool: "ffprobe", message, transient: false })
    }

    /// Writes `duration` seconds from `start` of the source to `output`.
    pub async fn cut(
        &self,
        source: &Source,
        start: f64,
        duration: f64,
        encoding: Encoding,
        format: OutputFormat,
        output: &Path,
    ) -> Result<(), MediaError> {
        let mut args = args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-ss"]);
        args.push(format!("{start:.3}").into());
        args.extend(input(source));
        args.extend(args_of(["-t", &format!("{duration:.3}"), "-map", "0:v:0?", "-map", "0:a:0?"]));
        match (encoding, format.0) {
            (Encoding::Copy, _) => args.extend(args_of(["-c", "copy", "-avoid_negative_ts", "make_zero"])),
            (Encoding::Reencode, "webm") => args.extend(args_of([
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "2M",
                "-c:a",
                "libopus",
            ])),
            (Encoding::Reencode, _) => args.extend(args_of([
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a",
                "160k",
            ])),
        }
        if matches!(format.0, "mp4" | "mov") {
            args.extend(args_of(["-movflags", "+faststart"]));
        }
        args.extend(args_of(["-f", format.0]));
        args.push(output.into());
        self.run("ffmpeg", &self.ffmpeg, args).await.map(|_| ())
    }

    /// One JPEG frame of a local file at `at` seconds.
    pub async fn thumbnail(&self, file: &Path, at: f64, output: &Path) -> Result<(), MediaError> {
        let mut args = args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-ss"]);
        args.push(format!("{at:.3}").into());
        args.extend(input(&Source::File(file.to_owned())));
        args.extend(args_of(["-frames:v", "1", "-q:v", "3", "-c:v", "mjpeg", "-f", "image2"]));
        args.push(output.into());
        self.run("ffmpeg", &self.ffmpeg, args).await.map(|_| ())
    }

    async fn run(&self, tool: &'static str, program: &Path, args: Vec<OsString>) -> Result<Vec<u8>, MediaError> {
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| MediaError::Spawn { tool, message: e.to_string() })?;
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let finished = async {
            // A hostile or broken input can make ffmpeg print without end;
            // only the tail explains a failure, and only so much is kept.
            let (read_out, read_err, status) =
                tokio::join!(read_tail(&mut stdout, STDOUT_KEPT), read_tail(&mut stderr, STDERR_KEPT), child.wait());
            let (out, err) = match (read_out, read_err) {
                (Ok(out), Ok(err)) => (out, err),
                (Err(e), _) | (_, Err(e)) => return Err(MediaError::Spawn { tool, message: e.to_string() }),
            };
            let status = status.map_err(|e| MediaError::Spawn { tool, message: e.to_string() })?;
            Ok::<_, MediaError>((status, out, err))
        };
        let (status, out, err) = tokio::time::timeout(self.timeout, finished)
            .await
            .map_err(|_| MediaError::Timeout { tool, after: self.timeout })??;
        if status.success() {
            return Ok(out);
        }
        let text = String::from_utf8_lossy(&err);
        let tail = text.trim().char_indices().rev().nth(STDERR_TAIL).map_or(text.trim(), |(i, _)| &text.trim()[i..]);
        let message = if tail.is_empty() { format!("exited with {status}") } else { tail.to_owned() };
        Err(MediaError::Failed { tool, transient: looks_transient(&message), message })
    }
}

/// Reads `reader` to its end, keeping at most its last `cap` bytes.
async fn read_tail<R: tokio::io::AsyncRead + Unpin>(reader: &mut R, cap: usize) -> std::io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let read = reader.read(&mut chunk).await?;
        if read == 0 {
            return Ok(kept);
        }
        kept.extend_from_slice(&chunk[..read]);
        if kept.len() > cap {
            let excess = kept.len() - cap;
            kept.drain(..excess);
        }
    }
}

/// Network, disk and resource trouble; anything else is the input's fault.
fn looks_transient(stderr: &str) -> bool {
    const TRANSIENT: [&str; 9] = [
        "Connection refused",
        "Connection timed out",
        "Connection reset",
        "Server returned 5",
        "Network is unreachable",
        "No space left on device",
        "Resource temporarily unavailable",
        "Cannot allocate memory",
        "Input/output error",
    ];
    TRANSIENT.iter().any(|needle| stderr.contains(needle))
}

/// Demuxers a source may be read with: media containers only. Playlists
/// and lists (HLS, DASH, `ffconcat`, …) would make ffmpeg open further
/// inputs the source policy never saw.
const FORMATS: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,mpegts,avi,mpeg,image2,mjpeg";

/// The input options and the input: a file by explicit `file:` with only
/// the file protocol allowed, a URL with only http(s) and what they need
/// and no redirects (a redirect could lead off the allowed host).
fn input(source: &Source) -> Vec<OsString> {
    let mut args = args_of(["-format_whitelist", FORMATS]);
    match source {
        Source::File(path) => {
            let mut input = OsString::from("file:");
            input.push(path);
            args.extend(args_of(["-protocol_whitelist", "file", "-i"]));
            args.push(input);
        }
        Source::Url(url) => args.extend(args_of([
            "-protocol_whitelist",
            "http,https,tcp,tls",
            "-max_redirects",
            "0",
            "-i",
            url.as_str(),
        ])),
    }
    args
}

fn args<const N: usize>(list: [&str; N]) -> Vec<OsString> {
    args_of(list)
}

fn args_of<const N: usize>(list: [&str; N]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn parse_probe(output: &[u8]) -> Result<Probe, String> {
    #[derive(serde::Deserialize)]
    struct Output {
        #[serde(default)]
        streams: Vec<Stream>,
        format: Option<Format>,
    }
    #[derive(serde::Deserialize)]
    struct Stream {
        codec_type: Option<String>,
        codec_name: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Format {
        duration: Option<String>,
    }
    let parsed: Output = serde_json::from_slice(output).map_err(|e| format!("unreadable ffprobe output: {e}"))?;
    let codec = |kind: &str| {
        parsed.streams.iter().find(|s| s.codec_type.as_deref() == Some(kind)).and_then(|s| s.codec_name.clone())
    };
    Ok(Probe {
        duration: parsed.format.as_ref().and_then(|f| f.duration.as_deref()).and_then(|d| d.parse().ok()),
        video_codec: codec("video"),
        audio_codec: codec("audio"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_tail_of_endless_output_is_kept() {
        let mut input: Vec<u8> = (0..1_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        input.extend_from_slice(b"the real error");
        let tail = read_tail(&mut input.as_slice(), 1024).await.unwrap();
        assert_eq!(tail.len(), 1024);
        assert!(tail.ends_with(b"the real error"));
    }

    #[tokio::test]
    async fn a_run_that_floods_stderr_fails_with_its_last_words() {
        let ffmpeg = Ffmpeg::default();
        let script = "head -c 50000000 /dev/zero | tr '\\0' x >&2; echo ' disk on fire' >&2; exit 1";
        let error = ffmpeg.run("ffmpeg", Path::new("sh"), args(["-c", script])).await.unwrap_err();
        let MediaError::Failed { message, .. } = error else { panic!("{error:?}") };
        assert!(message.len() <= STDERR_TAIL * 4 && message.ends_with("disk on fire"), "{}", message.len());
    }

    #[test]
    fn probe_output_is_read() {
        let json =
            br#"{"streams":[{"codec_name":"aac","codec_type":"audio"},{"codec_name":"h264","codec_type":"video"}],
                        "format":{"duration":"12.500000"}}"#;
        let probe = parse_probe(json).unwrap();
        assert_eq!(probe.duration, Some(12.5));
        assert_eq!(probe.video_codec.as_deref(), Some("h264"));
        assert_eq!(probe.audio_codec.as_deref(), Some("aac"));
        assert!(parse_probe(b"not json").is_err());
    }

    #[test]
    fn the_network_and_the_disk_are_transient_the_input_is_not() {
        assert!(looks_transient("http://x: Server returned 503 Service Unavailable"));
        assert!(looks_transient("av_interleaved_write_frame(): No space left on device"));
        assert!(!looks_transient("file:/m/a.mkv: Invalid data found when processing input"));
    }
}
