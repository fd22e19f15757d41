//! Projection (the manifest's columns, found case-insensitively) and shaping of raw batches
//! into the manifest's source layout.

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use std::path::Path;

use super::{Batches, SourceError, normalize};
use crate::manifest::SourceSpec;

/// Positions in `schema` of the spec's columns, matched case-insensitively (warehouses
/// upper-case names). A column matched by two names (`a` and `A`) is an error: which one is
/// meant cannot be known.
fn locate_columns(
    file: &Path,
    schema: &Schema,
    spec: &SourceSpec,
) -> Result<Vec<usize>, SourceError> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    spec.columns
        .iter()
        .map(|column| {
            let mut matching = (names.iter().enumerate())
                .filter(|(_, name)| name.eq_ignore_ascii_case(&column.name));
            let Some((position, first)) = matching.next() else {
                return Err(missing(file, &names, &column.name));
            };
            if let Some((_, second)) = matching.next() {
                return Err(SourceError::DuplicateColumn {
                    file: file.into(),
                    column: column.name.clone(),
                    first: first.to_string(),
                    second: second.to_string(),
                });
            }
            Ok(position)
        })
        .collect()
}

fn missing(file: &Path, names: &[&str], column: &str) -> SourceError {
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
        column: column.into(),
        available,
    }
}

/// The file columns to read (ascending, as readers return them) and, for each spec column,
/// its position among them.
pub(super) struct Projection {
    pub columns: Vec<usize>,
    pub order: Vec<usize>,
}

pub(super) fn project(
    file: &Path,
    schema: &Schema,
    spec: &SourceSpec,
) -> Result<Projection, SourceError> {
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

/// Checks the types of a file's projected columns before any row is read: a file whose
/// rows are never read (all outside the window) still gets its wrong column named.
pub(super) fn check_types(
    file: &Path,
    schema: &Schema,
    projection: &Projection,
    spec: &SourceSpec,
) -> Result<(), SourceError> {
    for (column, &position) in spec.columns.iter().zip(&projection.order) {
        let found = schema.field(projection.columns[position]).data_type();
        normalize::check_type(file, found, column)?;
    }
    Ok(())
}

/// A file's projected raw batches as manifest-shaped batches, counting rows for messages
/// from `first_row` (1-based: where in the file the first batch starts).
pub(super) fn normalized(
    file: &Path,
    spec: &SourceSpec,
    order: Vec<usize>,
    raw: impl Iterator<Item = Result<RecordBatch, SourceError>> + Send + 'static,
    first_row: u64,
) -> Batches {
    let file = file.to_path_buf();
    let spec = spec.clone();
    let mut next_row = first_row;
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
