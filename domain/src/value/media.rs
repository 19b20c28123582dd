use serde::{Deserialize, Serialize};

use super::error::{check_length, ValueError};
use super::newtype::string_newtype;
use super::platform::closed_enum;

closed_enum!(
    /// Output container of a rendered clip.
    Container {
        Mp4 => "mp4",
        Mov => "mov",
        Webm => "webm",
        Mkv => "mkv",
    }
);

// The enum comes from `closed_enum!`, which has no place for `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Container {
    fn default() -> Self {
        Container::Mp4
    }
}

/// Where a clip is cut from: a path (confined to the media root by the
/// renderer) or an http(s) URL (checked against the allowlist by the
/// renderer). Here only the shape is checked: any other URL scheme, such as
/// ffmpeg's `concat:` or `file:`, is refused at the edge already.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClipSource(String);

impl ClipSource {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
        let raw = raw.into();
        check_length(&raw, 1, Self::MAX_LEN)?;
        if raw.chars().any(char::is_control) {
            return Err(ValueError::InvalidCharacters);
        }
        if let Some(scheme) = url_scheme(&raw) {
            if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
                return Err(ValueError::Invalid("only paths and http(s) URLs are allowed"));
            }
        }
        Ok(Self(raw))
    }
}

/// `scheme:` per RFC 3986 (a letter, then letters, digits, `+-.`).
fn url_scheme(raw: &str) -> Option<&str> {
    let (scheme, _) = raw.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))).then_some(scheme)
}

/// Offset into the source where the clip starts, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct ClipStart(u64);

impl ClipStart {
    /// A week of recording: far beyond any stream, small enough to never overflow.
    pub const MAX_MILLIS: u64 = 7 * 24 * 3600 * 1000;

    pub fn from_millis(millis: u64) -> Result<Self, ValueError> {
        if millis > Self::MAX_MILLIS {
            return Err(ValueError::OutOfRange { min: 0, max: Self::MAX_MILLIS as i64 });
        }
        Ok(Self(millis))
    }

    pub fn from_seconds(seconds: f64) -> Result<Self, ValueError> {
        Self::from_millis(seconds_to_millis(seconds, 0.0, Self::MAX_MILLIS)?)
    }

    pub fn millis(&self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for ClipStart {
    type Error = ValueError;
    fn try_from(millis: u64) -> Result<Self, ValueError> {
        Self::from_millis(millis)
    }
}

impl From<ClipStart> for u64 {
    fn from(value: ClipStart) -> u64 {
        value.0
    }
}

/// Length of a clip in milliseconds: more than zero, at most one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct ClipDuration(u64);

impl ClipDuration {
    pub const MAX_MILLIS: u64 = 3600 * 1000;

    pub fn from_millis(millis: u64) -> Result<Self, ValueError> {
        if millis == 0 || millis > Self::MAX_MILLIS {
            return Err(ValueError::OutOfRange { min: 1, max: Self::MAX_MILLIS as i64 });
        }
        Ok(Self(millis))
    }

    pub fn from_seconds(seconds: f64) -> Result<Self, ValueError> {
        Self::from_millis(seconds_to_millis(seconds, 0.0, Self::MAX_MILLIS)?)
    }

    pub fn millis(&self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for ClipDuration {
    type Error = ValueError;
    fn try_from(millis: u64) -> Result<Self, ValueError> {
        Self::from_millis(millis)
    }
}

impl From<ClipDuration> for u64 {
    fn from(value: ClipDuration) -> u64 {
        value.0
    }
}

fn seconds_to_millis(seconds: f64, min: f64, max_millis: u64) -> Result<u64, ValueError> {
    let range = ValueError::OutOfRange { min: min as i64, max: (max_millis / 1000) as i64 };
    if !seconds.is_finite() || seconds < min || seconds * 1000.0 > max_millis as f64 {
        return Err(range);
    }
    Ok((seconds * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sources_are_paths_or_http_urls() {
        assert!(ClipSource::parse("streams/2026-11-22.mkv").is_ok());
        assert!(ClipSource::parse("https://cdn.example.com/vod.mp4").is_ok());
        for bad in ["concat:a.mp4|b.mp4", "file:/etc/passwd", "ftp://x/y", "data:,x", "subfile:,x"] {
            assert!(ClipSource::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(ClipSource::parse(""), Err(ValueError::Empty));
    }

    #[test]
    fn media_uris_are_web_urls_or_served_paths() {
        for good in ["https://cdn.example.com/a.mp4", "HTTP://127.0.0.1:8081/files/a.mp4", "/files/ab/cd/a.mp4"] {
            assert!(MediaUri::parse(good).is_ok(), "{good}");
        }
        for bad in ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//evil.example/a", "files/a.mp4"]
        {
            assert!(MediaUri::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn duration_is_positive_and_at_most_an_hour() {
        assert!(ClipDuration::from_seconds(0.0).is_err());
        assert!(ClipDuration::from_seconds(3600.0).is_ok());
        assert!(ClipDuration::from_seconds(3600.001).is_err());
        assert!(ClipDuration::from_seconds(f64::NAN).is_err());
        assert!(ClipStart::from_seconds(-0.5).is_err());
        assert_eq!(ClipStart::from_seconds(1.5).unwrap().millis(), 1500);
    }

    proptest! {
        #[test]
        fn any_accepted_duration_is_in_range(s in -10.0f64..4000.0) {
            if let Ok(d) = ClipDuration::from_seconds(s) {
                prop_assert!(d.millis() >= 1 && d.millis() <= 3_600_000);
            }
        }
    }
}

/// Where a rendered file or thumbnail can be fetched: a URL or a path the
/// query API serves. Written by the renderer, so only its shape is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaUri(String);

impl MediaUri {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
        let raw = raw.into();
        check_length(&raw, 1, Self::MAX_LEN)?;
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ValueError::InvalidCharacters);
        }
        // Only what WaveStack itself writes: dashboards put these in `src`
        // and `href`, where `javascript:` or `data:` would run or smuggle.
        let lower = raw.to_ascii_lowercase();
        let web = ["http://", "https://"].iter().any(|scheme| lower.starts_with(scheme));
        let served_path = raw.starts_with('/') && !raw.starts_with("//");
        if !(web || served_path) {
            return Err(ValueError::Invalid("must be an http(s) URL or a path starting with `/`"));
        }
        Ok(Self(raw))
    }
}

/// SHA-256 of a file, 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash(String);

impl ContentHash {
    pub fn parse(raw: impl Into<String>) -> Result<Self, ValueError> {
        let raw = raw.into();
        if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(raw))
        } else {
            Err(ValueError::Invalid("must be 64 lowercase hex digits (SHA-256)"))
        }
    }
}

string_newtype!(ClipSource);

string_newtype!(MediaUri);

string_newtype!(ContentHash);
