//! A local output folder: objects are written to hidden temporary files beside their final
//! names and renamed into place on commit (atomic on one file system).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::lock::{OutputLock, sweep_leftovers};
use super::{Destination, SinkError, StagedObject};

/// Clones share the lock (writers hold a handle on the root); it is released with the last.
#[derive(Clone)]
pub struct LocalDir {
    root: PathBuf,
    /// Dataset folders this run created: a failed run removes those left empty.
    made_folders: Arc<Mutex<HashSet<PathBuf>>>,
    _lock: Arc<OutputLock>,
}

impl LocalDir {
    /// Opens (creating it) an output folder for one run: takes its lock, failing at once when
    /// another run holds it, then removes what runs killed before they could clean up left.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, SinkError> {
        let root = root.into();
        let lock = OutputLock::acquire(&root)?;
        sweep_leftovers(&root);
        Ok(Self {
            root,
            made_folders: Arc::default(),
            _lock: Arc::new(lock),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Destination for LocalDir {
    fn create(&self, key: &str) -> Result<Box<dyn StagedObject>, SinkError> {
        let target = key
            .split('/')
            .fold(self.root.clone(), |path, part| path.join(part));
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| SinkError::Io { path, source }
        };
        let parent = target.parent().unwrap_or(Path::new("."));
        if !parent.exists() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
            (self.made_folders.lock().expect("never poisoned")).insert(parent.to_path_buf());
        }
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("object");
        let temp = parent.join(format!(
            ".{name}.rechost-{}-{}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        let file = File::create(&temp).map_err(io(&temp))?;
        Ok(Box::new(LocalObject {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            temp,
            target,
            made_folders: self.made_folders.clone(),
        }))
    }

    fn location(&self, key: &str) -> String {
        key.split('/')
            .fold(self.root.clone(), |path, part| path.join(part))
            .display()
            .to_string()
    }

    fn handle(&self) -> Arc<dyn Destination> {
        Arc::new(self.clone())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, SinkError> {
        // Only the folder part of the prefix is walked (one level: dataset folders are flat).
        let (folder, start) = prefix.rsplit_once('/').unwrap_or(("", prefix));
        let dir = Path::new(&self.location(folder)).to_path_buf();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                let path = dir.display().to_string();
                return Err(SinkError::Io { path, source });
            }
        };
        Ok(entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with(start) && !name.starts_with('.'))
            .map(|name| {
                if folder.is_empty() {
                    name
                } else {
                    format!("{folder}/{name}")
                }
            })
            .collect())
    }

    fn remove(&self, key: &str) -> Result<(), SinkError> {
        let path = self.location(key);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(SinkError::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }
}

struct LocalObject {
    file: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    made_folders: Arc<Mutex<HashSet<PathBuf>>>,
}

impl Write for LocalObject {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("open until commit").write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.file
            .as_mut()
            .expect("open until commit")
            .write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("open until commit").flush()
    }
}

impl StagedObject for LocalObject {
    fn seal(&mut self) -> Result<(), SinkError> {
        let file = self.file.as_mut().expect("open until commit");
        file.flush()
            // Data reaches the disk before the rename makes it visible.
            .and_then(|()| file.get_ref().sync_data())
            .map_err(|source| SinkError::Io {
                path: self.temp.display().to_string(),
                source,
            })
    }

    fn commit(mut self: Box<Self>) -> Result<(), SinkError> {
        let result = std::fs::rename(&self.temp, &self.target).map_err(|source| SinkError::Io {
            path: self.target.display().to_string(),
            source,
        });
        if result.is_ok() {
            self.file = None; // committed: nothing for Drop to remove
        }
        result
    }
}

impl Drop for LocalObject {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            // Not committed: discard the partial object, and its folder if this run made it and
            // nothing else is in it (`remove_dir` refuses a folder that is not empty).
            let _ = std::fs::remove_file(&self.temp);
            let folder = self.temp.parent().unwrap_or(Path::new("."));
            let made = self
                .made_folders
                .lock()
                .is_ok_and(|made| made.contains(folder));
            if made {
                let _ = std::fs::remove_dir(folder);
            }
        }
    }
}
