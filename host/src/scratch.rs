//! Scratch folders for data a run spills to disk (`$TMPDIR/rechost-<what>-*`). Each holds an
//! exclusive lock on its `owner.lock` for as long as it exists; the operating system drops the
//! lock when the process ends, even killed, so the next run that spills removes the folders of
//! runs that died (a run ending normally removes its own).

use std::fs::{File, TryLockError};
use std::path::Path;
use tempfile::TempDir;

/// Name prefixes of the scratch folders, one per kind of spilled data.
pub const SPILLED_ROWS: &str = "rechost-spill-";
pub const SPILLED_IDS: &str = "rechost-ids-";
const OWNER: &str = "owner.lock";

/// A scratch folder, removed (with everything in it) when dropped.
pub struct ScratchDir {
    dir: TempDir,
    /// Locked while the folder is in use: what tells a live run's folder from a dead one's.
    _owner: File,
}

impl ScratchDir {
    /// Makes a folder named `prefix*` under `parent`, after removing dead runs' folders there.
    pub fn create(parent: &Path, prefix: &str) -> std::io::Result<Self> {
        sweep(parent);
        let dir = tempfile::Builder::new().prefix(prefix).tempdir_in(parent)?;
        // Locked under another name, then renamed: the owner file is never seen unlocked.
        let claiming = dir.path().join(".owner");
        let owner = File::create_new(&claiming)?;
        owner.lock()?;
        std::fs::rename(&claiming, dir.path().join(OWNER))?;
        Ok(Self { dir, _owner: owner })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Removes the scratch folders under `parent` whose owner lock nobody holds: their run died.
/// A folder without an owner file yet is being made, and is left alone.
fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with(SPILLED_ROWS) || name.starts_with(SPILLED_IDS);
        if !ours || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(owner) = File::open(entry.path().join(OWNER)) else {
            continue;
        };
        match owner.try_lock() {
            Ok(()) => {
                let _ = std::fs::remove_dir_all(entry.path());
            }
            Err(TryLockError::WouldBlock | TryLockError::Error(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_folders_of_dead_runs_are_swept() {
        let parent = tempfile::tempdir().unwrap();
        let live = ScratchDir::create(parent.path(), SPILLED_ROWS).unwrap();
        // A dead run's folder: its owner file exists, and no one holds its lock.
        let dead = parent.path().join(format!("{SPILLED_IDS}dead"));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(OWNER), b"").unwrap();
        std::fs::write(dead.join("run-0"), b"spilled").unwrap();
        // Being made: no owner file yet. Not ours: another prefix.
        let unclaimed = parent.path().join(format!("{SPILLED_ROWS}new"));
        std::fs::create_dir(&unclaimed).unwrap();
        let other = parent.path().join("someone-else");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join(OWNER), b"").unwrap();

        let second = ScratchDir::create(parent.path(), SPILLED_IDS).unwrap();
        assert!(!dead.exists(), "the dead run's folder is removed");
        assert!(live.path().exists() && second.path().exists());
        assert!(unclaimed.exists() && other.exists());

        let live_path = live.path().to_path_buf();
        drop(live);
        assert!(!live_path.exists(), "a run removes its own folder");
    }
}
