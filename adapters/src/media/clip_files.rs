//! Where rendered clips live: `<clips dir>/<2 hex>/<2 hex>/<name>.<ext>`
//! (sharded so that no directory grows huge), each written to a temporary
//! file in the same directory and renamed into place, so that a redelivered
//! job replaces only its own output and a crash never leaves half a file
//! under the final name.
//!
//! The name is a capability: an HMAC of the org and clip id under a key
//! only the operator holds (`<key dir>/files.key`). Clip ids can be
//! computed by others (a `!clip`'s derives from a chat message id every
//! viewer sees), so a name derived from the id alone would let anyone
//! fetch any org's clip from `/files`; this one cannot be guessed, and is
//! still the same for every render of the clip.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use uuid::Uuid;
use wavestack_domain::value::OrgId;

/// The key that names clip files. Never logged, never in an event.
#[derive(Clone)]
pub struct FileKey([u8; 32]);

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKey(..)")
    }
}

impl FileKey {
    /// A fresh key, for tests and throwaway stacks.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// The key in `path` (hex), created (mode 0600) on first use.
    pub fn open_or_create(path: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                let key = Self::random();
                file.write_all(hex::encode(key.0).as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("writing the clip file key {}", path.display()))?;
                tracing::info!(path = %path.display(), "generated the clip file key");
                return Ok(key);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error).with_context(|| format!("creating {}", path.display())),
        }
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading the clip file key {}", path.display()))?;
        let bytes = hex::decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
        bytes.map(Self).with_context(|| format!("{} does not hold 32 hex-encoded bytes", path.display()))
    }

    /// 128 bits of HMAC-SHA256 over the org and clip id, as hex.
    fn name(&self, org: &OrgId, clip_id: Uuid) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(org.as_str().as_bytes());
        mac.update(b"/");
        mac.update(clip_id.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

#[derive(Debug, Clone)]
pub struct ClipFiles {
    dir: PathBuf,
    key: FileKey,
}

/// A file being written; `commit` renames it into place, dropping it
/// removes it.
#[derive(Debug)]
pub struct PendingFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl ClipFiles {
    pub fn new(dir: impl Into<PathBuf>, key: FileKey) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir: dir.canonicalize()?, key })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a clip's file relative to the clips directory, as
    /// served under the public base URL.
    pub fn relative(&self, org: &OrgId, clip_id: Uuid, extension: &str) -> String {
        let name = self.key.name(org, clip_id);
        format!("{}/{}/{name}.{extension}", &name[..2], &name[2..4])
    }

    /// A temporary file beside the clip's final `extension` file.
    pub async fn pending(&self, org: &OrgId, clip_id: Uuid, extension: &str) -> std::io::Result<PendingFile> {
        let target = self.dir.join(self.relative(org, clip_id, extension));
        let parent = target.parent().expect("sharded paths have a parent");
        tokio::fs::create_dir_all(parent).await?;
        let temp = parent.join(format!(".{}.{}.tmp", self.key.name(org, clip_id), Uuid::new_v4().simple()));
        Ok(PendingFile { temp, target, committed: false })
    }

    /// Removes temporary files older than `age` (left by a killed worker).
    pub async fn sweep_temporaries(&self, age: std::time::Duration) -> std::io::Result<usize> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for shard in read_dirs(&dir)? {
                for shard in read_dirs(&shard)? {
                    for entry in std::fs::read_dir(&shard)? {
                        let entry = entry?;
                        let name = entry.file_name();
                        let name = name.to_string_lossy();
                        let old = entry.metadata()?.modified()?.elapsed().unwrap_or_default() > age;
                        if name.starts_with('.') && name.ends_with(".tmp") && old {
                            std::fs::remove_file(entry.path())?;
                            removed += 1;
                        }
                    }
                }
            }
            Ok(removed)
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

fn read_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    Ok(dirs)
}

impl PendingFile {
    pub fn path(&self) -> &Path {
        &self.temp
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// SHA-256 (lowercase hex) and size of what was written.
    pub async fn digest(&self) -> std::io::Result<(String, u64)> {
        let mut file = tokio::fs::File::open(&self.temp).await?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            size += read as u64;
        }
        let hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok((hash, size))
    }

    /// Renames the file into place, replacing an earlier render of the
    /// same clip.
    pub async fn commit(mut self) -> std::io::Result<PathBuf> {
        tokio::fs::rename(&self.temp, &self.target).await?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_land_under_their_shard_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let files = ClipFiles::new(dir.path().join("clips"), FileKey::random()).unwrap();
        let id = Uuid::parse_str("6f1c1d3e-8c43-4b7e-9a53-1f9a2b3c4d5e").unwrap();
        let acme = OrgId::parse("acme").unwrap();

        let pending = files.pending(&acme, id, "mp4").await.unwrap();
        tokio::fs::write(pending.path(), b"abc").await.unwrap();
        assert!(!pending.target().exists(), "nothing under the final name before commit");
        let (hash, size) = pending.digest().await.unwrap();
        assert_eq!(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(size, 3);
        let target = pending.commit().await.unwrap();
        assert_eq!(tokio::fs::read(&target).await.unwrap(), b"abc");

        // An abandoned attempt leaves nothing behind.
        let abandoned = files.pending(&acme, id, "mp4").await.unwrap();
        tokio::fs::write(abandoned.path(), b"half").await.unwrap();
        let temp = abandoned.path().to_owned();
        drop(abandoned);
        assert!(!temp.exists());
        assert_eq!(tokio::fs::read(&target).await.unwrap(), b"abc");
    }

    #[test]
    fn names_are_stable_per_key_and_say_nothing_of_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("keys/files.key");
        let key = FileKey::open_or_create(&key_path).unwrap();
        let files = ClipFiles::new(dir.path().join("clips"), key).unwrap();
        let id = Uuid::parse_str("6f1c1d3e-8c43-4b7e-9a53-1f9a2b3c4d5e").unwrap();
        let (acme, other) = (OrgId::parse("acme").unwrap(), OrgId::parse("other").unwrap());
        let name = files.relative(&acme, id, "mp4");
        assert!(!name.contains(&id.simple().to_string()[..8]), "{name}");
        assert_eq!(name.len(), "ab/cd/".len() + 32 + ".mp4".len());
        assert_ne!(files.relative(&other, id, "mp4"), name, "another org, another name");

        let reopened = ClipFiles::new(dir.path().join("clips"), FileKey::open_or_create(&key_path).unwrap()).unwrap();
        assert_eq!(reopened.relative(&acme, id, "mp4"), name, "the key is kept");
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_path).unwrap().permissions());
        assert_eq!(mode & 0o077, 0, "only the operator reads the key");
        let another = ClipFiles::new(dir.path().join("clips"), FileKey::random()).unwrap();
        assert_ne!(another.relative(&acme, id, "mp4"), name);
    }
}
