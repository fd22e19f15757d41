//! Local Parquet/CSV inputs: which files an `--input` names (a file, a folder, a glob), and
//! reading them one after the other.

use std::path::{Path, PathBuf};

use super::{Batches, OpenSource, Source, SourceError, csv, parquet};
use crate::manifest::{Manifest, SourceSpec};
use crate::window::DateWindow;

/// `--input`: a file, a folder (every .parquet/.csv below it) or a glob.
#[derive(Debug, Clone)]
pub struct FileInput {
    pub input: String,
}

impl OpenSource for FileInput {
    fn open(
        &self,
        manifest: &Manifest,
        _window: &DateWindow,
        batch_rows: usize,
    ) -> Result<Box<dyn Source>, SourceError> {
        let source = LocalSource::open(&self.input, &manifest.source, batch_rows)?;
        Ok(Box::new(source))
    }
}

/// Local Parquet/CSV files: a file, a folder (every .parquet/.csv below it) or a glob.
pub struct LocalSource {
    files: Vec<PathBuf>,
    spec: SourceSpec,
    batch_size: usize,
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') || n.starts_with('_'))
}

fn is_data_file(path: &Path) -> bool {
    !is_hidden(path) && file_kind(path).is_some()
}

#[derive(Clone, Copy)]
enum FileKind {
    Parquet,
    Csv,
}

fn file_kind(path: &Path) -> Option<FileKind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "parquet" | "pq" => Some(FileKind::Parquet),
        "csv" => Some(FileKind::Csv),
        _ => None,
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let io = |source| SourceError::Io {
        file: dir.into(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        // `file_type` does not follow symlinks: a linked folder is not walked (no cycles).
        if entry.file_type().map_err(io)?.is_dir() {
            // Hidden and `_`-prefixed folders hold job leftovers (`_temporary`, `_delta_log`).
            if !is_hidden(&path) {
                walk(&path, files)?;
            }
        } else if is_data_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}

/// The files an `--input` names, sorted so runs are reproducible.
pub fn resolve_input(input: &str) -> Result<Vec<PathBuf>, SourceError> {
    let path = Path::new(input);
    let mut files = Vec::new();
    if path.is_dir() {
        walk(path, &mut files)?;
    } else if path.exists() {
        if file_kind(path).is_none() {
            return Err(SourceError::UnsupportedFile { file: path.into() });
        }
        files.push(path.into());
    } else {
        let matches = glob::glob(input).map_err(|e| SourceError::BadPattern {
            input: input.into(),
            message: e.to_string(),
        })?;
        for entry in matches {
            let path = entry.map_err(|e| SourceError::Io {
                file: e.path().into(),
                source: std::io::Error::new(e.error().kind(), e.error().to_string()),
            })?;
            if path.is_file() && is_data_file(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(SourceError::NoInput {
            input: input.into(),
        });
    }
    Ok(files)
}

impl LocalSource {
    pub fn open(input: &str, spec: &SourceSpec, batch_size: usize) -> Result<Self, SourceError> {
        Ok(Self {
            files: resolve_input(input)?,
            spec: spec.clone(),
            batch_size: batch_size.max(1),
        })
    }

    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Total rows, when every file records it (Parquet footers); for progress display.
    pub fn row_count_hint(&self) -> Option<u64> {
        self.files
            .iter()
            .map(|f| match file_kind(f)? {
                FileKind::Parquet => parquet::row_count(f),
                FileKind::Csv => None,
            })
            .sum()
    }

    /// Batches of every file in turn; a file is opened only when the previous one is done.
    pub fn into_batches(self) -> Batches {
        let LocalSource {
            files,
            spec,
            batch_size,
        } = self;
        Box::new(files.into_iter().flat_map(move |file| -> Batches {
            let opened = match file_kind(&file) {
                Some(FileKind::Parquet) => parquet::open(&file, &spec, batch_size),
                Some(FileKind::Csv) => csv::open(&file, &spec, batch_size),
                None => Err(SourceError::UnsupportedFile { file: file.clone() }),
            };
            match opened {
                Ok(batches) => batches,
                Err(e) => Box::new(std::iter::once(Err(e))),
            }
        }))
    }
}

impl Source for LocalSource {
    fn describe(&self) -> String {
        format!("{} file(s)", self.files.len())
    }

    fn file_count(&self) -> usize {
        self.files.len()
    }

    fn row_count_hint(&self) -> Option<u64> {
        LocalSource::row_count_hint(self)
    }

    fn into_batches(self: Box<Self>) -> Batches {
        LocalSource::into_batches(*self)
    }
}
