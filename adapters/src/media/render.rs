//! One clip rendered: the source checked against the policy and probed, the
//! moment cut (stream copy unless re-encoding is asked for or the container
//! cannot hold the source's codecs), the result probed for its real
//! duration, a thumbnail taken at its midpoint, hashed, and both files
//! renamed into place.

use uuid::Uuid;
use wavestack_domain::clip::{ClipRequested, RenderedClip};
use wavestack_domain::value::{Container, ContentHash, MediaUri, OrgId};

use super::clip_files::ClipFiles;
use super::ffmpeg::{Encoding, Ffmpeg, MediaError, OutputFormat, Probe};
use super::source::{Source, SourcePolicy, SourceRefused};

#[derive(Debug, Clone)]
pub struct Renderer {
    pub policy: SourcePolicy,
    pub ffmpeg: Ffmpeg,
    pub files: ClipFiles,
    /// Prefix of the clips' public URLs, without a trailing `/`; the query
    /// API serves the clips directory under `/files`.
    pub public_base: String,
}

/// Why a render failed, said so that a streamer understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderFailure {
    pub reason: String,
    /// Worth another attempt (network, disk, timeout), not the input's fault.
    pub retryable: bool,
}

impl RenderFailure {
    fn permanent(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), retryable: false }
    }
}

impl From<MediaError> for RenderFailure {
    fn from(error: MediaError) -> Self {
        Self { retryable: error.is_transient(), reason: error.to_string() }
    }
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> RenderFailure + '_ {
    move |error| RenderFailure { reason: format!("{what}: {error}"), retryable: true }
}

/// How a rendered clip was written, for callers that report or measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub clip: RenderedClip,
    pub encoding: Encoding,
}

impl Renderer {
    /// Renders `org`'s clip request; its source resolves under `org`'s media.
    pub async fn render(&self, org: &OrgId, request: &ClipRequested) -> Result<Rendered, RenderFailure> {
        let source = self.policy.resolve(org, request.source.as_str()).map_err(|refused| {
            // The reason for the operator; the caller gets one text for all.
            if let SourceRefused::Unavailable(reason) = &refused {
                tracing::info!(%org, clip = %request.clip_id, ?reason, "clip source refused");
            }
            RenderFailure::permanent(refused.to_string())
        })?;
        let probe = self.ffmpeg.probe(&source).await?;
        let start = request.start.millis() as f64 / 1000.0;
        let duration = request.duration.millis() as f64 / 1000.0;
        if let Some(total) = probe.duration {
            if start >= total {
                return Err(RenderFailure::permanent(format!(
                    "the clip starts at {start:.3} s, beyond the end of the source ({total:.3} s)"
                )));
            }
        }
        if probe.video_codec.is_none() {
            return Err(RenderFailure::permanent("the source has no video stream"));
        }
        let (format, extension) = output_format(request.container);
        let encoding =
            if request.reencode || !copy_fits(request.container, &probe) { Encoding::Reencode } else { Encoding::Copy };
        let clip_id = request.clip_id.as_uuid();

        let video = self.files.pending(org, clip_id, extension).await.map_err(io("preparing the output"))?;
        self.ffmpeg.cut(&source, start, duration, encoding, format, video.path()).await?;
        let rendered = self.ffmpeg.probe(&Source::File(video.path().to_owned())).await?;
        let real = rendered.duration.filter(|d| *d > 0.0).ok_or_else(|| {
            RenderFailure::permanent("the cut holds nothing: the source may be shorter than it claims")
        })?;
        let thumbnail = self.files.pending(org, clip_id, "jpg").await.map_err(io("preparing the thumbnail"))?;
        self.ffmpeg.thumbnail(video.path(), real / 2.0, thumbnail.path()).await?;
        let (sha256, size) = video.digest().await.map_err(io("hashing the clip"))?;
        thumbnail.commit().await.map_err(io("storing the thumbnail"))?;
        video.commit().await.map_err(io("storing the clip"))?;

        let clip = RenderedClip {
            uri: self.uri(org, clip_id, extension)?,
            thumbnail_uri: self.uri(org, clip_id, "jpg")?,
            duration_ms: (real * 1000.0).round() as u64,
            size_bytes: size,
            sha256: ContentHash::parse(sha256).map_err(|e| RenderFailure::permanent(e.to_string()))?,
        };
        Ok(Rendered { clip, encoding })
    }

    fn uri(&self, org: &OrgId, clip_id: Uuid, extension: &str) -> Result<MediaUri, RenderFailure> {
        MediaUri::parse(format!("{}/{}", self.public_base, self.files.relative(org, clip_id, extension)))
            .map_err(|e| RenderFailure::permanent(format!("the public URL base is unusable: {e}")))
    }
}

fn output_format(container: Container) -> (OutputFormat, &'static str) {
    match container {
        Container::Mp4 => (OutputFormat("mp4"), "mp4"),
        Container::Mov => (OutputFormat("mov"), "mov"),
        Container::Webm => (OutputFormat("webm"), "webm"),
        Container::Mkv => (OutputFormat("matroska"), "mkv"),
    }
}

/// Whether the source's codecs can be copied into the container as they are.
fn copy_fits(container: Container, probe: &Probe) -> bool {
    let (video, audio): (&[&str], &[&str]) = match container {
        Container::Mkv => return true,
        Container::Mp4 | Container::Mov => (&["h264", "hevc", "av1", "mpeg4"], &["aac", "mp3", "opus", "ac3", "alac"]),
        Container::Webm => (&["vp8", "vp9", "av1"], &["opus", "vorbis"]),
    };
    let fits = |codec: &Option<String>, allowed: &[&str]| codec.as_deref().is_none_or(|c| allowed.contains(&c));
    fits(&probe.video_codec, video) && fits(&probe.audio_codec, audio)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(video: &str, audio: &str) -> Probe {
        Probe { duration: Some(10.0), video_codec: Some(video.into()), audio_codec: Some(audio.into()) }
    }

    #[test]
    fn copies_only_what_the_container_can_hold() {
        assert!(copy_fits(Container::Mp4, &probe("h264", "aac")));
        assert!(!copy_fits(Container::Mp4, &probe("vp9", "opus")));
        assert!(!copy_fits(Container::Webm, &probe("h264", "aac")));
        assert!(copy_fits(Container::Webm, &probe("vp9", "opus")));
        assert!(copy_fits(Container::Mkv, &probe("prores", "pcm_s24le")));
    }
}
