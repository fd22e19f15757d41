//! Local Parquet/CSV inputs (found by `discovery`), read one after the other.

use std::path::PathBuf;

use super::discovery::{FileKind, file_kind, resolve_input};
use super::{Batches, OpenSource, Skipped, Source, SourceError, csv, parquet};
use crate::manifest::{Manifest, SourceSpec};
use crate::window::DateWindow;

/// `--input`: a file, a folder (every .parquet/.csv below it) or a glob.
#[derive(Debug, Clone)]
pub struct FileInput {
    pub input: String,
    /// The run's local output folder: never read as input, so a run whose `--out` is inside
    /// its `--input` does not read its previous output.
    pub exclude: Option<PathBuf>,
}

impl OpenSource for FileInput {
    fn open(
        &self,
        manifest: &Manifest,
        window: &DateWindow,
        batch_rows: usize,
    ) -> Result<Box<dyn Source>, SourceError> {
        let source = LocalSource {
            files: resolve_input(&self.input, self.exclude.as_deref())?,
            spec: manifest.source.clone(),
            batch_size: batch_rows.max(1),
            window: Some(*window),
            skipped: Skipped::default(),
        };
        Ok(Box::new(source))
    }
}

/// Local Parquet/CSV files: a file, a folder (every .parquet/.csv below it) or a glob.
pub struct LocalSource {
    files: Vec<PathBuf>,
    spec: SourceSpec,
    batch_size: usize,
    /// When set, Parquet row groups wholly outside it are not read.
    window: Option<DateWindow>,
    skipped: Skipped,
}

impl LocalSource {
    /// Every row of the files (no window to leave row groups out by).
    pub fn open(input: &str, spec: &SourceSpec, batch_size: usize) -> Result<Self, SourceError> {
        Ok(Self {
            files: resolve_input(input, None)?,
            spec: spec.clone(),
            batch_size: batch_size.max(1),
            window: None,
            skipped: Skipped::default(),
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
            window,
            skipped,
        } = self;
        Box::new(files.into_iter().flat_map(move |file| -> Batches {
            let opened = match file_kind(&file) {
                Some(FileKind::Parquet) => {
                    parquet::open(&file, &spec, batch_size, window.as_ref(), &skipped)
                }
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

    fn skipped(&self) -> Skipped {
        self.skipped.clone()
    }

    fn into_batches(self: Box<Self>) -> Batches {
        LocalSource::into_batches(*self)
    }
}
