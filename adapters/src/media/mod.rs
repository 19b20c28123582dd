//! Media I/O for the clip renderer: where sources may come from, ffmpeg and
//! ffprobe as confined child processes, and where rendered clips are kept.

mod clip_files;
mod ffmpeg;
mod quota;
mod render;
mod source;

pub use clip_files::{ClipFiles, FileKey, PendingFile};
pub use ffmpeg::{Encoding, Ffmpeg, MediaError, OutputFormat, Probe};
pub use quota::{QuotaExceeded, QuotaLimits, RenderQuota, Reservation};
pub use render::{RenderFailure, Rendered, Renderer};
pub use source::{Source, SourcePolicy, SourceRefused, Unavailable};
