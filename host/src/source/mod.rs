//! Where rows come from. Every source yields Arrow batches whose columns are exactly the
//! manifest's source columns, in order, with the manifest's types: the rest of the host never
//! sees a source-specific type or column name.

mod csv;
mod normalize;
mod parquet;
mod snowflake;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use std::path::{Path, PathBuf};

use crate::manifest::{Manifest, SourceSpec};
use crate::snowflake::ConnectionSettings;
use crate::window::DateWindow;
pub use snowflake::SnowflakeSource;

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
    #[error(transparent)]
    Snowflake(#[from] crate::snowflake::SnowflakeError),
    #[error(transparent)]
    Sql(#[from] crate::sql::SqlError),
    #[cfg(feature = "databricks")]
    #[error(transparent)]
    Databricks(#[from] crate::databricks::DatabricksError),
}

/// Where `rechost run` reads rows from.
#[derive(Debug, Clone)]
pub enum SourcePlan {
    /// Local Parquet/CSV files: a file, a folder or a glob.
    Files { input: String },
    /// A Snowflake table (default: the one the plugin's manifest names).
    Snowflake {
        connection: Box<ConnectionSettings>,
        table: Option<String>,
    },
}

/// The table `--source snowflake` reads, checked, and the query it runs (`--dry-run` prints it).
pub fn snowflake_query(
    manifest: &Manifest,
    table: Option<&str>,
    window: &DateWindow,
) -> Result<(String, String), SourceError> {
    let table = crate::sql::qualified_name(table.unwrap_or(&manifest.source.table))?;
    let query = crate::sql::snowflake_source_query(
        (&manifest.name, &manifest.version),
        &manifest.source,
        &table,
        window,
    )?;
    Ok((table, query))
}

/// An opened source: batches shaped as the manifest's source columns.
pub enum Source {
    Files(LocalSource),
    Snowflake {
        table: String,
        rows: Box<SnowflakeSource>,
    },
}

impl Source {
    pub fn open(
        plan: &SourcePlan,
        manifest: &Manifest,
        window: &DateWindow,
        batch_size: usize,
    ) -> Result<Self, SourceError> {
        match plan {
            SourcePlan::Files { input } => Ok(Source::Files(LocalSource::open(
                input,
                &manifest.source,
                batch_size,
            )?)),
            SourcePlan::Snowflake { connection, table } => {
                let (table, query) = snowflake_query(manifest, table.as_deref(), window)?;
                let rows = SnowflakeSource::open(
                    connection,
                    &table,
                    &query,
                    &manifest.source,
                    batch_size,
                )?;
                Ok(Source::Snowflake {
                    table,
                    rows: Box::new(rows),
                })
            }
        }
    }

    /// What was read, for the run summary: `3 file(s)` or `snowflake:DB.SCHEMA.TABLE`.
    pub fn describe(&self) -> String {
        match self {
            Source::Files(files) => format!("{} file(s)", files.files().len()),
            Source::Snowflake { table, .. } => format!("snowflake:{table}"),
        }
    }

    pub fn file_count(&self) -> usize {
        match self {
            Source::Files(files) => files.files().len(),
            Source::Snowflake { .. } => 0,
        }
    }

    pub fn row_count_hint(&self) -> Option<u64> {
        match self {
            Source::Files(files) => files.row_count_hint(),
            Source::Snowflake { rows, .. } => rows.row_count_hint(),
        }
    }

    pub fn into_batches(self) -> Batches {
        match self {
            Source::Files(files) => files.into_batches(),
            Source::Snowflake { rows, .. } => rows.into_batches(),
        }
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

/// Positions in `schema` of the spec's columns, matched case-insensitively (warehouses
/// upper-case names).
fn locate_columns(
    file: &Path,
    schema: &Schema,
    spec: &SourceSpec,
) -> Result<Vec<usize>, SourceError> {
    spec.columns
        .iter()
        .map(|column| {
            schema
                .fields()
                .iter()
                .position(|f| f.name().eq_ignore_ascii_case(&column.name))
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        schema.fields().iter().map(|f| f.name().as_str()).collect();
                    let mut available = names
                        .iter()
                        .take(20)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ");
                    if names.len() > 20 {
                        available.push_str(&format!(", ... ({} columns)", names.len()));
                    }
                    SourceError::MissingColumn {
                        file: file.into(),
                        column: column.name.clone(),
                        available,
                    }
                })
        })
        .collect()
}

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, SourceError>> + Send>;

/// The file columns to read (ascending, as readers return them) and, for each spec column,
/// its position among them.
struct Projection {
    columns: Vec<usize>,
    order: Vec<usize>,
}

fn project(file: &Path, schema: &Schema, spec: &SourceSpec) -> Result<Projection, SourceError> {
    let positions = locate_columns(file, schema, spec)?;
    let mut columns = positions.clone();
    columns.sort_unstable();
    columns.dedup();
    let order = positions
        .iter()
        .map(|p| columns.binary_search(p).expect("projected"))
        .collect();
    Ok(Projection { columns, order })
}

/// A file's projected raw batches as manifest-shaped batches, counting rows for messages.
fn normalized(
    file: &Path,
    spec: &SourceSpec,
    order: Vec<usize>,
    raw: impl Iterator<Item = Result<RecordBatch, SourceError>> + Send + 'static,
) -> Batches {
    let file = file.to_path_buf();
    let spec = spec.clone();
    let mut next_row = 1u64;
    Box::new(raw.map(move |raw| {
        let raw = raw?;
        let first_row = next_row;
        next_row += raw.num_rows() as u64;
        let columns = order.iter().map(|&i| raw.column(i).clone()).collect();
        normalize::batch(&file, &spec, columns, raw.num_rows(), first_row)
    }))
}

/// Any batch holding the spec's columns (matched case-insensitively, extra columns ignored),
/// as the manifest-shaped batch the plugin reads; `origin` and `first_row` (1-based) name the
/// place in messages. For sources that arrive as ready batches (warehouses, UDF handlers).
pub fn shape(
    origin: &Path,
    spec: &SourceSpec,
    raw: &RecordBatch,
    first_row: u64,
) -> Result<RecordBatch, SourceError> {
    let projection = project(origin, &raw.schema(), spec)?;
    let columns = projection
        .order
        .iter()
        .map(|&i| raw.column(projection.columns[i]).clone())
        .collect();
    normalize::batch(origin, spec, columns, raw.num_rows(), first_row)
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
