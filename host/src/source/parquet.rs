//! Parquet files, reading only the columns the plugin needs (projection pushdown).

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::path::Path;

use super::shape::{normalized, project};
use super::{Batches, SourceError};
use crate::manifest::SourceSpec;

fn unreadable(file: &Path, e: impl ToString) -> SourceError {
    SourceError::Unreadable {
        file: file.into(),
        format: "Parquet",
        message: e.to_string(),
    }
}

pub fn row_count(file: &Path) -> Option<u64> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(file).ok()?).ok()?;
    u64::try_from(builder.metadata().file_metadata().num_rows()).ok()
}

pub fn open(file: &Path, spec: &SourceSpec, batch_size: usize) -> Result<Batches, SourceError> {
    let handle = File::open(file).map_err(|source| SourceError::Io {
        file: file.into(),
        source,
    })?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(handle).map_err(|e| unreadable(file, e))?;
    let projection = project(file, builder.schema(), spec)?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), projection.columns);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(batch_size)
        .build()
        .map_err(|e| unreadable(file, e))?;
    let path = file.to_path_buf();
    let raw = reader.map(move |batch| batch.map_err(|e| unreadable(&path, e)));
    Ok(normalized(file, spec, projection.order, raw))
}
