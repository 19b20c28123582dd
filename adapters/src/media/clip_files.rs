//! Where rendered clips live: `<clips dir>/<2 hex>/<2 hex>/<clip id>.<ext>`
//! (sharded so that no directory grows huge), each written to a temporary
//! file in the same directory and renamed into place, so that a redelivered
//! job replaces only its own output and a crash never leaves half a file
//! under the final name.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ClipFiles {
    dir: PathBuf,
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
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir: dir.canonicalize()? })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a clip's file relative to the clips directory, as
    /// served under the public base URL.
    pub fn relative(clip_id: Uuid, extension: &str) -> String {
        let hex = clip_id.simple().to_string();
        format!("{}/{}/{hex}.{extension}", &hex[..2], &hex[2..4])
    }

    /// A temporary file beside the clip's final `extension` file.
    pub async fn pending(&self, clip_id: Uuid, extension: &str) -> std::io::Result<PendingFile> {
        let target = self.dir.join(Self::relative(clip_id, extension));
        let parent = target.parent().expect("sharded paths have a parent");
        tokio::fs::create_dir_all(parent).await?;
        let temp = parent.join(format!(".{}.{}.tmp", clip_id.simple(), Uuid::new_v4().simple()));
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
        let files = ClipFiles::new(dir.path().join("clips")).unwrap();
        let id = Uuid::parse_str("6f1c1d3e-8c43-4b7e-9a53-1f9a2b3c4d5e").unwrap();
        assert_eq!(ClipFiles::relative(id, "mp4"), "6f/1c/6f1c1d3e8c434b7e9a531f9a2b3c4d5e.mp4");

        let pending = files.pending(id, "mp4").await.unwrap();
        tokio::fs::write(pending.path(), b"abc").await.unwrap();
        assert!(!pending.target().exists(), "nothing under the final name before commit");
        let (hash, size) = pending.digest().await.unwrap();
        assert_eq!(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(size, 3);
        let target = pending.commit().await.unwrap();
        assert_eq!(tokio::fs::read(&target).await.unwrap(), b"abc");

        // An abandoned attempt leaves nothing behind.
        let abandoned = files.pending(id, "mp4").await.unwrap();
        tokio::fs::write(abandoned.path(), b"half").await.unwrap();
        let temp = abandoned.path().to_owned();
        drop(abandoned);
        assert!(!temp.exists());
        assert_eq!(tokio::fs::read(&target).await.unwrap(), b"abc");
    }
}
