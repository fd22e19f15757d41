//! Which files an `--input` names: a file, a folder (every .parquet/.csv below it, following
//! symbolic links) or a glob. Every file is read once, however many paths lead to it (links,
//! overlapping patterns, `**` through a linked folder, link loops); a broken link is an error,
//! never skipped; and the run's own output folder is never read back.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::SourceError;

#[derive(Clone, Copy)]
pub(super) enum FileKind {
    Parquet,
    Csv,
}

pub(super) fn file_kind(path: &Path) -> Option<FileKind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "parquet" | "pq" => Some(FileKind::Parquet),
        "csv" => Some(FileKind::Csv),
        _ => None,
    }
}

/// Hidden and `_`-prefixed entries hold job leftovers (`_temporary`, `_delta_log`, our own
/// temp files).
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') || n.starts_with('_'))
}

fn is_data_file(path: &Path) -> bool {
    !is_hidden(path) && file_kind(path).is_some()
}

/// A file or folder as the file system knows it, whatever path led to it.
#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = PathBuf;

#[cfg(unix)]
fn identity(_path: &Path, meta: &std::fs::Metadata) -> Result<Identity, SourceError> {
    use std::os::unix::fs::MetadataExt;
    Ok((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(path: &Path, _meta: &std::fs::Metadata) -> Result<Identity, SourceError> {
    // No inode numbers: the canonical path (all links resolved) stands in.
    std::fs::canonicalize(path).map_err(|source| SourceError::Io {
        file: path.into(),
        source,
    })
}

/// `path`'s metadata, following links; a dangling link is named as such.
fn metadata(path: &Path) -> Result<std::fs::Metadata, SourceError> {
    std::fs::metadata(path).map_err(|source| match std::fs::symlink_metadata(path) {
        Ok(link) if link.file_type().is_symlink() => SourceError::BrokenLink {
            link: path.into(),
            target: std::fs::read_link(path).unwrap_or_default(),
            source,
        },
        _ => SourceError::Io {
            file: path.into(),
            source,
        },
    })
}

/// The files found so far, each once.
struct Found {
    files: Vec<PathBuf>,
    seen_files: HashSet<Identity>,
    seen_folders: HashSet<Identity>,
    /// The run's output folder, canonical (never read).
    exclude: Option<PathBuf>,
}

impl Found {
    fn excluded(&self, path: &Path) -> bool {
        let Some(out) = &self.exclude else {
            return false;
        };
        std::fs::canonicalize(path).is_ok_and(|canonical| canonical.starts_with(out))
    }

    fn add_file(&mut self, path: PathBuf, meta: &std::fs::Metadata) -> Result<(), SourceError> {
        if !self.excluded(&path) && self.seen_files.insert(identity(&path, meta)?) {
            self.files.push(path);
        }
        Ok(())
    }

    fn walk(&mut self, dir: &Path, meta: &std::fs::Metadata) -> Result<(), SourceError> {
        // A folder reached twice (a link loop, two links to it) is walked once.
        if self.excluded(dir) || !self.seen_folders.insert(identity(dir, meta)?) {
            return Ok(());
        }
        let io = |source| SourceError::Io {
            file: dir.into(),
            source,
        };
        let mut entries = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|entry| entry.map(|e| e.path()).map_err(io))
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort();
        for path in entries.into_iter().filter(|p| !is_hidden(p)) {
            let meta = metadata(&path)?;
            if meta.is_dir() {
                self.walk(&path, &meta)?;
            } else if meta.is_file() && is_data_file(&path) {
                self.add_file(path, &meta)?;
            }
        }
        Ok(())
    }

    fn glob(&mut self, input: &str) -> Result<(), SourceError> {
        let matches = glob::glob(input).map_err(|e| SourceError::BadPattern {
            input: input.into(),
            message: e.to_string(),
        })?;
        let mut paths = Vec::new();
        for entry in matches {
            let path = entry.map_err(|e| SourceError::Io {
                file: e.path().into(),
                source: std::io::Error::new(e.error().kind(), e.error().to_string()),
            })?;
            if is_data_file(&path) {
                paths.push(path);
            }
        }
        // Shortest paths first, so a file reached through a link loop keeps its plain name.
        paths.sort_by(|a, b| (a.components().count(), a).cmp(&(b.components().count(), b)));
        for path in paths {
            let meta = metadata(&path)?;
            if meta.is_file() {
                self.add_file(path, &meta)?;
            }
        }
        Ok(())
    }
}

/// The files an `--input` names, sorted so runs are reproducible, each file once; files
/// under `exclude` (the run's output folder) are skipped.
pub fn resolve_input(input: &str, exclude: Option<&Path>) -> Result<Vec<PathBuf>, SourceError> {
    let mut found = Found {
        files: Vec::new(),
        seen_files: HashSet::new(),
        seen_folders: HashSet::new(),
        // An output folder that does not exist yet holds nothing to skip.
        exclude: exclude.and_then(|p| std::fs::canonicalize(p).ok()),
    };
    let path = Path::new(input);
    match metadata(path) {
        Ok(meta) if meta.is_dir() => found.walk(path, &meta)?,
        Ok(meta) => {
            if file_kind(path).is_none() {
                return Err(SourceError::UnsupportedFile { file: path.into() });
            }
            found.add_file(path.into(), &meta)?;
        }
        Err(e @ SourceError::BrokenLink { .. }) => return Err(e),
        Err(_) => found.glob(input)?,
    }
    if found.files.is_empty() {
        return Err(SourceError::NoInput {
            input: input.into(),
        });
    }
    found.files.sort();
    Ok(found.files)
}
