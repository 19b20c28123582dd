//! Where a clip may be cut from. A path must stay under the media root
//! after every symlink is resolved and name a regular file (not a device,
//! pipe or directory); a URL must be http(s) with a host on the allowlist.
//! Anything ffmpeg would read another way (`file:`, `concat:`, `pipe:`,
//! `subfile,,…`) is refused before ffmpeg sees it, and ffmpeg then runs with
//! a protocol whitelist as a second fence.

use std::path::{Component, Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Clone)]
pub struct SourcePolicy {
    /// Canonical: symlinks resolved.
    media_root: PathBuf,
    /// Lowercase host names, matched exactly.
    allowed_hosts: Vec<String>,
}

/// A source that passed the policy, as ffmpeg is to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Canonical path of a regular file under the media root.
    File(PathBuf),
    Url(reqwest::Url),
}

/// Why a source is refused; all are permanent for the clip.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SourceRefused {
    #[error("the source path climbs out with `..`")]
    Traversal,
    #[error("the source resolves outside the media root")]
    OutsideMediaRoot,
    #[error("the source does not exist")]
    NotFound,
    #[error("the source is not a regular file")]
    NotAFile,
    #[error("the source cannot be read: {0}")]
    Unreadable(String),
    #[error("`{0}:` sources are not allowed; give a path under the media root or an http(s) URL")]
    Scheme(String),
    #[error("the host `{0}` is not on the source allowlist")]
    HostNotAllowed(String),
    #[error("the source URL is malformed: {0}")]
    MalformedUrl(String),
}

impl SourcePolicy {
    pub fn new(media_root: &Path, allowed_hosts: impl IntoIterator<Item = String>) -> std::io::Result<Self> {
        let media_root = media_root.canonicalize()?;
        let allowed_hosts = allowed_hosts.into_iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        Ok(Self { media_root, allowed_hosts })
    }

    pub fn media_root(&self) -> &Path {
        &self.media_root
    }

    pub fn resolve(&self, raw: &str) -> Result<Source, SourceRefused> {
        match scheme_of(raw) {
            Some(scheme) if matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") => self.url(raw),
            Some(scheme) => Err(SourceRefused::Scheme(scheme.to_owned())),
            None => self.path(raw),
        }
    }

    fn url(&self, raw: &str) -> Result<Source, SourceRefused> {
        let url = reqwest::Url::parse(raw).map_err(|e| SourceRefused::MalformedUrl(e.to_string()))?;
        let host = url.host_str().ok_or_else(|| SourceRefused::MalformedUrl("no host".into()))?.to_ascii_lowercase();
        if !self.allowed_hosts.contains(&host) {
            return Err(SourceRefused::HostNotAllowed(host));
        }
        Ok(Source::Url(url))
    }

    fn path(&self, raw: &str) -> Result<Source, SourceRefused> {
        let path = Path::new(raw);
        if path.components().any(|c| c == Component::ParentDir) {
            return Err(SourceRefused::Traversal);
        }
        let joined = if path.is_absolute() { path.to_owned() } else { self.media_root.join(path) };
        let canonical = joined.canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SourceRefused::NotFound,
            _ => SourceRefused::Unreadable(e.to_string()),
        })?;
        // After symlinks: a link inside the root pointing out is refused here.
        if !canonical.starts_with(&self.media_root) {
            return Err(SourceRefused::OutsideMediaRoot);
        }
        let metadata = std::fs::metadata(&canonical).map_err(|e| SourceRefused::Unreadable(e.to_string()))?;
        if !metadata.file_type().is_file() {
            return Err(SourceRefused::NotAFile);
        }
        Ok(Source::File(canonical))
    }
}

/// `scheme:` per RFC 3986 at the start (a letter, then letters, digits, `+-.`).
fn scheme_of(raw: &str) -> Option<&str> {
    let (scheme, _) = raw.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))).then_some(scheme)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn policy() -> (tempfile::TempDir, SourcePolicy) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("media");
        std::fs::create_dir_all(root.join("vods")).unwrap();
        std::fs::write(root.join("vods/night.mkv"), b"video").unwrap();
        std::fs::write(dir.path().join("secret.mkv"), b"secret").unwrap();
        symlink(dir.path().join("secret.mkv"), root.join("vods/escape.mkv")).unwrap();
        symlink(root.join("vods/night.mkv"), root.join("vods/alias.mkv")).unwrap();
        let policy = SourcePolicy::new(&root, ["cdn.example.com".to_owned()]).unwrap();
        (dir, policy)
    }

    #[test]
    fn paths_under_the_root_resolve_to_regular_files() {
        let (_dir, policy) = policy();
        let night = policy.media_root().join("vods/night.mkv");
        assert_eq!(policy.resolve("vods/night.mkv"), Ok(Source::File(night.clone())));
        assert_eq!(policy.resolve("vods/alias.mkv"), Ok(Source::File(night.clone())), "a link within the root");
        assert_eq!(policy.resolve(night.to_str().unwrap()), Ok(Source::File(night)));
    }

    #[test]
    fn escapes_and_tricks_are_refused() {
        let (dir, policy) = policy();
        let outside = dir.path().join("secret.mkv");
        let cases = [
            ("../secret.mkv", SourceRefused::Traversal),
            ("vods/../../secret.mkv", SourceRefused::Traversal),
            ("vods/escape.mkv", SourceRefused::OutsideMediaRoot),
            (outside.to_str().unwrap(), SourceRefused::OutsideMediaRoot),
            ("vods", SourceRefused::NotAFile),
            ("/dev/zero", SourceRefused::OutsideMediaRoot),
            ("vods/missing.mkv", SourceRefused::NotFound),
            ("file:/etc/passwd", SourceRefused::Scheme("file".into())),
            ("concat:vods/night.mkv|vods/night.mkv", SourceRefused::Scheme("concat".into())),
            ("pipe:0", SourceRefused::Scheme("pipe".into())),
            ("ftp://cdn.example.com/a.mkv", SourceRefused::Scheme("ftp".into())),
            ("https://evil.example.net/a.mkv", SourceRefused::HostNotAllowed("evil.example.net".into())),
            (
                "https://cdn.example.com.evil.net/a.mkv",
                SourceRefused::HostNotAllowed("cdn.example.com.evil.net".into()),
            ),
        ];
        for (raw, refusal) in cases {
            assert_eq!(policy.resolve(raw), Err(refusal), "{raw}");
        }
        let url = "https://CDN.example.com/vods/a.mkv";
        assert_eq!(policy.resolve(url), Ok(Source::Url(reqwest::Url::parse(url).unwrap())));
    }

    #[test]
    fn pipes_inside_the_root_are_not_files() {
        let (_dir, policy) = policy();
        let fifo = policy.media_root().join("live.fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(policy.resolve("live.fifo"), Err(SourceRefused::NotAFile));
    }
}
