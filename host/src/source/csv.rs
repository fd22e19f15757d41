//! CSV files in the Snowplow export format: a header row, TRUE/FALSE/empty booleans,
//! `YYYY-MM-DD HH:MM:SS[.fff]` timestamps, empty = NULL. Only the needed columns are parsed.

use arrow_schema::{DataType as Arrow, Field, Schema};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use super::shape::{normalized, project};
use super::{Batches, SourceError};
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
    let projection = project(file, &schema, spec)?;
    let reader = arrow_csv::ReaderBuilder::new(Arc::new(schema))
        .with_header(true)
        .with_batch_size(batch_size)
        .with_projection(projection.columns)
        .build(File::open(file).map_err(io)?)
        .map_err(|e| unreadable(file, e))?;
    let path = file.to_path_buf();
    let raw = reader.map(move |batch| batch.map_err(|e| unreadable(&path, e)));
    Ok(normalized(file, spec, projection.order, raw))
}
