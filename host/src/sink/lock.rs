//! One run at a time per local output folder: an exclusive lock on `<root>/.rechost.lock`,
//! held for the whole run and released by the operating system when the process ends (even
//! killed), so a dead run never blocks the next. The lock file names its holder and is removed
//! when the run ends, so finished output holds only datasets; a lock is only trusted while the
//! path still names the locked file (a run that locked a file already removed tries again).

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::SinkError;

/// The name of the lock file in an output root.
pub const LOCK_FILE: &str = ".rechost.lock";

/// Held while a run writes to its output root.
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked: a run waiting on this file finds it gone and retries.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}

impl OutputLock {
    /// Takes the lock on `root` (created if missing) or fails at once, naming the holder.
    pub fn acquire(root: &Path) -> Result<Self, SinkError> {
        // A lock taken on a file another run removed meanwhile is no lock: try again.
        for _ in 0..8 {
            if let Some(lock) = Self::try_acquire(root)? {
                return Ok(lock);
            }
        }
        Err(SinkError::Locked {
            root: root.display().to_string(),
            holder: "runs keep replacing the lock file".into(),
        })
    }

    fn try_acquire(root: &Path) -> Result<Option<Self>, SinkError> {
        let path = root.join(LOCK_FILE);
        let io = |source| SinkError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(root).map_err(|source| SinkError::Io {
            path: root.display().to_string(),
            source,
        })?;
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(SinkError::Locked {
                    root: root.display().to_string(),
                    holder: holder.trim().to_string(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let locked = file.metadata().map_err(io)?;
        match std::fs::metadata(&path) {
            Ok(named) if same_file(&locked, &named) => {}
            _ => return Ok(None),
        }
        let me = format!(
            "pid {} since {}",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        Ok(Some(Self { file, path }))
    }
}

/// Removes temporary files that runs killed before they could clean up left under `root`
/// (`.<name>.rechost-<pid>-<n>.tmp`). Only called while holding the lock, so no live run owns
/// them. Returns the paths removed.
pub fn sweep_leftovers(root: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    // The root and the dataset folders directly under it: where staged objects live.
    if let Ok(entries) = std::fs::read_dir(root) {
        folders.extend(
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path()),
        );
    }
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let leftover =
                name.starts_with('.') && name.contains(".rechost-") && name.ends_with(".tmp");
            if leftover
                && entry.file_type().is_ok_and(|t| t.is_file())
                && std::fs::remove_file(entry.path()).is_ok()
            {
                removed.push(entry.path());
            }
        }
    }
    removed
}
