//! Where a clip may be cut from. Each org has its own media root,
//! `<media root>/<org>/`: a path is relative to it, must stay under it after
//! every symlink is resolved and must name a regular file (not a device,
//! pipe or directory); a URL must be http(s) with a host on the allowlist.
//! Anything ffmpeg would read another way (`file:`, `concat:`, `pipe:`,
//! `subfile,,…`) is refused before ffmpeg sees it, and ffmpeg then runs with
//! a protocol whitelist as a second fence.
//!
//! A path refused for any reason (missing, another org's, outside, not a
//! file) is refused with one text, so that a caller cannot learn which
//! paths exist outside its own media; the reason is kept for the log.

use std::path::{Component, Path, PathBuf};

use thiserror::Error;
use wavestack_domain::value::OrgId;

#[derive(Debug, Clone)]
pub struct SourcePolicy {
    /// Canonical: symlinks resolved. Holds one directory per org.
    media_root: PathBuf,
    /// Lowercase host names, matched exactly.
    allowed_hosts: Vec<String>,
}

/// A source that passed the policy, as ffmpeg is to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Canonical path of a regular file under the org's media root.
    File(PathBuf),
    Url(reqwest::Url),
}

/// Why a path names no recording of the org. Said to the operator's log,
/// never to the caller (see `SourceRefused::Unavailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    Traversal,
    Absolute,
    OutsideOrgMedia,
    NotFound,
    NotAFile,
    Unreadable,
}

/// Why a source is refused; all are permanent for the clip.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SourceRefused {
    /// The same text whatever the reason: no oracle of what exists.
    #[error("the source is not a recording in this org's media")]
    Unavailable(Unavailable),
    #[error("`{0}:` sources are not allowed; give a path under the org's media or an http(s) URL")]
    Scheme(String),
    #[error("the host `{0}` is not on the source allowlist")]
    HostNotAllowed(String),
    #[error("the source URL is malformed: {0}")]
    MalformedUrl(String),
}

impl SourceRefused {
    /// A stable code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            SourceRefused::Unavailable(_) => "source_unavailable",
            SourceRefused::Scheme(_) => "source_scheme_not_allowed",
            SourceRefused::HostNotAllowed(_) => "source_host_not_allowed",
            SourceRefused::MalformedUrl(_) => "source_malformed",
        }
    }
}

impl SourcePolicy {
    pub fn new(media_root: &Path, allowed_hosts: impl IntoIterator<Item = String>) -> std::io::Result<Self> {
        let media_root = media_root.canonicalize()?;
        let allowed_hosts = allowed_hosts.into_iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        Ok(Self { media_root, allowed_hosts })
    }

    /// The directory that holds every org's media.
    pub fn media_root(&self) -> &Path {
        &self.media_root
    }

    /// Where `org`'s recordings live (not necessarily existing yet).
    pub fn org_root(&self, org: &OrgId) -> PathBuf {
        self.media_root.join(org.as_str())
    }

    pub fn resolve(&self, org: &OrgId, raw: &str) -> Result<Source, SourceRefused> {
        match scheme_of(raw) {
            Some(scheme) if matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") => self.url(raw),
            Some(scheme) => Err(SourceRefused::Scheme(scheme.to_owned())),
            None => self.path(org, raw).map_err(SourceRefused::Unavailable),
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

    fn path(&self, org: &OrgId, raw: &str) -> Result<Source, Unavailable> {
        let path = Path::new(raw);
        if path.components().any(|c| c == Component::ParentDir) {
            return Err(Unavailable::Traversal);
        }
        // Absolute paths would say where the media root is.
        if path.is_absolute() {
            return Err(Unavailable::Absolute);
        }
        let org_root = self.org_root(org).canonicalize().map_err(|_| Unavailable::NotFound)?;
        let canonical = org_root.join(path).canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Unavailable::NotFound,
            _ => Unavailable::Unreadable,
        })?;
        // After symlinks: a link inside the org's media pointing out (to
        // another org's, or anywhere else) is refused here.
        if !canonical.starts_with(&org_root) || !org_root.starts_with(&self.media_root) {
            return Err(Unavailable::OutsideOrgMedia);
        }
        let metadata = std::fs::metadata(&canonical).map_err(|_| Unavailable::Unreadable)?;
        if !metadata.file_type().is_file() {
            return Err(Unavailable::NotAFile);
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

    fn org(name: &str) -> OrgId {
        OrgId::parse(name).unwrap()
    }

    fn policy() -> (tempfile::TempDir, SourcePolicy) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("media");
        std::fs::create_dir_all(root.join("acme/vods")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::fs::write(root.join("acme/vods/night.mkv"), b"video").unwrap();
        std::fs::write(root.join("acme/vods/private.mkv"), b"acme's").unwrap();
        std::fs::write(dir.path().join("secret.mkv"), b"secret").unwrap();
        symlink(dir.path().join("secret.mkv"), root.join("acme/vods/escape.mkv")).unwrap();
        symlink(root.join("acme/vods/night.mkv"), root.join("acme/vods/alias.mkv")).unwrap();
        symlink(root.join("acme/vods/private.mkv"), root.join("other/borrowed.mkv")).unwrap();
        let policy = SourcePolicy::new(&root, ["cdn.example.com".to_owned()]).unwrap();
        (dir, policy)
    }

    #[test]
    fn paths_resolve_under_the_orgs_own_media() {
        let (_dir, policy) = policy();
        let night = policy.media_root().join("acme/vods/night.mkv");
        assert_eq!(policy.resolve(&org("acme"), "vods/night.mkv"), Ok(Source::File(night.clone())));
        assert_eq!(policy.resolve(&org("acme"), "vods/alias.mkv"), Ok(Source::File(night)), "a link within");
    }

    #[test]
    fn another_orgs_recording_is_refused_like_a_missing_one() {
        let (_dir, policy) = policy();
        let other = org("other");
        let missing = policy.resolve(&other, "vods/missing.mkv").unwrap_err();
        let cases = [
            ("vods/private.mkv", Unavailable::NotFound),
            ("../acme/vods/private.mkv", Unavailable::Traversal),
            ("borrowed.mkv", Unavailable::OutsideOrgMedia),
        ];
        for (raw, reason) in cases {
            let refused = policy.resolve(&other, raw).unwrap_err();
            assert_eq!(refused, SourceRefused::Unavailable(reason), "{raw}");
            assert_eq!(refused.to_string(), missing.to_string(), "one text for every case: {raw}");
        }
        assert_eq!(
            policy.resolve(&org("nobody"), "vods/night.mkv"),
            Err(SourceRefused::Unavailable(Unavailable::NotFound)),
            "an org without media"
        );
    }

    #[test]
    fn escapes_and_tricks_are_refused() {
        let (dir, policy) = policy();
        let acme = org("acme");
        let outside = dir.path().join("secret.mkv");
        let inside = policy.media_root().join("acme/vods/night.mkv");
        let unavailable = |reason| SourceRefused::Unavailable(reason);
        let cases = [
            ("../secret.mkv", unavailable(Unavailable::Traversal)),
            ("vods/../../secret.mkv", unavailable(Unavailable::Traversal)),
            ("vods/escape.mkv", unavailable(Unavailable::OutsideOrgMedia)),
            (outside.to_str().unwrap(), unavailable(Unavailable::Absolute)),
            (inside.to_str().unwrap(), unavailable(Unavailable::Absolute)),
            ("vods", unavailable(Unavailable::NotAFile)),
            ("/dev/zero", unavailable(Unavailable::Absolute)),
            ("vods/missing.mkv", unavailable(Unavailable::NotFound)),
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
            assert_eq!(policy.resolve(&acme, raw), Err(refusal), "{raw}");
        }
        let url = "https://CDN.example.com/vods/a.mkv";
        assert_eq!(policy.resolve(&acme, url), Ok(Source::Url(reqwest::Url::parse(url).unwrap())));
    }

    #[test]
    fn pipes_inside_the_root_are_not_files() {
        let (_dir, policy) = policy();
        let fifo = policy.media_root().join("acme/live.fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(policy.resolve(&org("acme"), "live.fifo"), Err(SourceRefused::Unavailable(Unavailable::NotAFile)));
    }
}
