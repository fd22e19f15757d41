//! Parquet files, reading only the columns the plugin needs (projection pushdown).

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::path::Path;

use super::{Batches, SourceError, locate_columns, normalize};
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
    let positions = locate_columns(file, builder.schema(), spec)?;
    let mut projection = positions.clone();
    projection.sort_unstable();
    projection.dedup();
    let order: Vec<usize> = positions
        .iter()
        .map(|p| projection.binary_search(p).expect("projected"))
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), projection);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(batch_size)
        .build()
        .map_err(|e| unreadable(file, e))?;

    let file = file.to_path_buf();
    let spec = spec.clone();
    let mut next_row = 1u64;
    Ok(Box::new(reader.map(move |raw| {
        let raw = raw.map_err(|e| unreadable(&file, e))?;
        let first_row = next_row;
        next_row += raw.num_rows() as u64;
        let columns = order.iter().map(|&i| raw.column(i).clone()).collect();
        normalize::batch(&file, &spec, columns, raw.num_rows(), first_row)
    })))
}
