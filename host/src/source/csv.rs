//! CSV files in the Snowplow export format: a header row, TRUE/FALSE/empty booleans,
//! `YYYY-MM-DD HH:MM:SS[.fff]` timestamps, empty = NULL. Only the needed columns are parsed.

use arrow_schema::{DataType as Arrow, Field, Schema};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use super::{Batches, SourceError, locate_columns, normalize};
use crate::manifest::SourceSpec;

fn unreadable(file: &Path, e: impl ToString) -> SourceError {
    SourceError::Unreadable {
        file: file.into(),
        format: "CSV",
        message: e.to_string(),
    }
}

pub fn open(file: &Path, spec: &SourceSpec, batch_size: usize) -> Result<Batches, SourceError> {
    let io = |source| SourceError::Io {
        file: file.into(),
        source,
    };
    // Every column is read as text; `normalize` parses the needed ones with row-level errors.
    let header = {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(File::open(file).map_err(io)?);
        reader.headers().map_err(|e| unreadable(file, e))?.clone()
    };
    let schema = Schema::new(
        header
            .iter()
            .map(|name| Field::new(name, Arrow::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let positions = locate_columns(file, &schema, spec)?;
    // The reader returns projected columns in ascending file order; map them back.
    let mut projection = positions.clone();
    projection.sort_unstable();
    projection.dedup();
    let order: Vec<usize> = positions
        .iter()
        .map(|p| projection.binary_search(p).expect("projected"))
        .collect();

    let reader = arrow_csv::ReaderBuilder::new(Arc::new(schema))
        .with_header(true)
        .with_batch_size(batch_size)
        .with_projection(projection)
        .build(File::open(file).map_err(io)?)
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
