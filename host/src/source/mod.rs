//! Where rows come from. Every source yields Arrow batches whose columns are exactly the
//! manifest's source columns, in order, with the manifest's types: the rest of the host never
//! sees a source-specific type or column name. Local files live here; warehouse sources are
//! provided by `warehouse/` through the same two traits.

mod csv;
mod discovery;
mod files;
mod normalize;
mod parquet;
#[cfg(test)]
mod props;
mod prune;
mod rebatch;
mod shape;

use arrow_array::RecordBatch;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::manifest::Manifest;
use crate::window::DateWindow;
pub use discovery::resolve_input;
pub use files::{FileInput, LocalSource};
pub use rebatch::{rebatched, warehouse_batches};
pub use shape::shape;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("no .parquet or .csv files found at {input}")]
    NoInput { input: String },
    #[error("invalid input pattern {input}: {message}")]
    BadPattern { input: String, message: String },
    #[error("{file}: unsupported file type (expected .parquet or .csv)")]
    UnsupportedFile { file: PathBuf },
    #[error("cannot read {file}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{link}: broken symbolic link (to {target})")]
    BrokenLink {
        link: PathBuf,
        target: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: empty file (no header row)")]
    Empty { file: PathBuf },
    #[error("{file}: not a readable {format} file: {message}")]
    Unreadable {
        file: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{file}: missing column `{column}` (the plugin reads it; the file has: {available})")]
    MissingColumn {
        file: PathBuf,
        column: String,
        available: String,
    },
    #[error(
        "{file}: columns `{first}` and `{second}` both match `{column}` (column names are \
         compared ignoring case); rename or drop one"
    )]
    DuplicateColumn {
        file: PathBuf,
        column: String,
        first: String,
        second: String,
    },
    #[error("{file}: column `{column}` has type {found}, which cannot be read as {expected}")]
    WrongType {
        file: PathBuf,
        column: String,
        found: String,
        expected: &'static str,
    },
    #[error("{file}: column `{column}`, row {row}: cannot read {value:?} as {expected}")]
    BadValue {
        file: PathBuf,
        column: String,
        /// 1-based data row within the file (CSV: the header is not counted).
        row: u64,
        value: String,
        expected: &'static str,
    },
    /// A warehouse source's own error (connection, query), already one readable line.
    #[error(transparent)]
    Warehouse(Box<dyn std::error::Error + Send + Sync>),
}

pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch, SourceError>> + Send>;

/// Where a run reads rows from, before the plugin's manifest is known.
pub trait OpenSource: Send + Sync {
    /// Opens the source for `manifest`'s columns; a warehouse may push the window down.
    fn open(
        &self,
        manifest: &Manifest,
        window: &DateWindow,
        batch_rows: usize,
    ) -> Result<Box<dyn Source>, SourceError>;
}

/// An opened source: batches shaped as the manifest's source columns.
pub trait Source: Send {
    /// What is read, for the run summary: `3 file(s)` or `snowflake:DB.SCHEMA.TABLE`.
    fn describe(&self) -> String;

    /// Files read (0 for a warehouse).
    fn file_count(&self) -> usize {
        0
    }

    /// Total rows, when known up front (for progress display).
    fn row_count_hint(&self) -> Option<u64> {
        None
    }

    /// Where the rows the source leaves unread are counted; read it once the batches end.
    fn skipped(&self) -> Skipped {
        Skipped::default()
    }

    fn into_batches(self: Box<Self>) -> Batches;
}

/// Rows a source left unread because they cannot be in the window (Parquet row groups whose
/// time statistics lie outside it), shared by the source and the run reading its batches.
#[derive(Debug, Clone, Default)]
pub struct Skipped(Arc<Mutex<SkippedRows>>);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkippedRows {
    pub rows: u64,
    /// Earliest and latest time of those rows (microseconds).
    pub time_range: Option<(i64, i64)>,
}

impl Skipped {
    fn add(&self, rows: u64, (lo, hi): (i64, i64)) {
        let mut total = self.0.lock().unwrap_or_else(|e| e.into_inner());
        total.rows += rows;
        total.time_range = Some(match total.time_range {
            Some((l, h)) => (l.min(lo), h.max(hi)),
            None => (lo, hi),
        });
    }

    pub fn total(&self) -> SkippedRows {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
