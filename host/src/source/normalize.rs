//! Casting source columns to the manifest's types, with errors that name the file, column,
//! row and value instead of silently turning bad values into NULLs.

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_cast::cast::{CastOptions, can_cast_types, cast_with_options};
use arrow_schema::{DataType as Arrow, TimeUnit};
use std::path::Path;

use super::SourceError;
use crate::manifest::{ColumnSpec, DataType, SourceSpec};

/// Whether a source column of type `from` may be read as `to`: lossless or conventional
/// conversions only (no float -> text, no text -> int of a float column, ...).
fn accepted(from: &Arrow, to: DataType) -> bool {
    let is_text = matches!(from, Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View);
    let is_int = from.is_integer();
    // Warehouse NUMBER(p, 0) columns (ids) arrive as decimals.
    let whole_decimal = matches!(from, Arrow::Decimal128(_, 0) | Arrow::Decimal256(_, 0));
    match to {
        DataType::Utf8 => {
            is_text
                || is_int
                || whole_decimal
                || matches!(from, Arrow::Dictionary(_, v) if matches!(**v, Arrow::Utf8 | Arrow::LargeUtf8))
        }
        DataType::Int64 => is_int || is_text || whole_decimal,
        DataType::Float64 => from.is_numeric() || is_text,
        DataType::Boolean => matches!(from, Arrow::Boolean) || is_text,
        DataType::Timestamp => {
            matches!(from, Arrow::Timestamp(_, _) | Arrow::Date32 | Arrow::Date64) || is_text
        }
    }
}

fn wrong_type(file: &Path, found: &Arrow, spec: &ColumnSpec) -> SourceError {
    SourceError::WrongType {
        file: file.into(),
        column: spec.name.clone(),
        found: found.to_string(),
        expected: spec.data_type.name(),
    }
}

/// The type `spec` declares for a column, as the cast from `from` targets it.
fn cast_target(from: &Arrow, spec: &ColumnSpec) -> Arrow {
    // Time-zone-aware timestamps are instants: keep the UTC value, drop the zone.
    match (from, spec.data_type) {
        (Arrow::Timestamp(_, Some(tz)), DataType::Timestamp) => {
            Arrow::Timestamp(TimeUnit::Microsecond, Some(tz.clone()))
        }
        _ => spec.data_type.arrow(),
    }
}

/// Whether a column of type `found` can be read as `spec` declares: the refusal [`column`]
/// gives, checked from a file's schema before any row is read.
pub(super) fn check_type(file: &Path, found: &Arrow, spec: &ColumnSpec) -> Result<(), SourceError> {
    let castable = found == &spec.data_type.arrow()
        || (accepted(found, spec.data_type) && can_cast_types(found, &cast_target(found, spec)));
    if castable {
        Ok(())
    } else {
        Err(wrong_type(file, found, spec))
    }
}

/// Converts one column to the type `spec` declares. `first_row` is the 1-based row number of
/// the batch's first row in its file (for error messages).
pub fn column(
    file: &Path,
    array: &ArrayRef,
    spec: &ColumnSpec,
    first_row: u64,
) -> Result<ArrayRef, SourceError> {
    let target = spec.data_type.arrow();
    if array.data_type() == &target {
        return Ok(array.clone());
    }
    let target_for_cast = cast_target(array.data_type(), spec);
    if !accepted(array.data_type(), spec.data_type)
        || !can_cast_types(array.data_type(), &target_for_cast)
    {
        return Err(wrong_type(file, array.data_type(), spec));
    }
    let options = CastOptions {
        safe: true,
        ..Default::default()
    };
    let cast = cast_with_options(array, &target_for_cast, &options).map_err(|e| {
        SourceError::WrongType {
            file: file.into(),
            column: spec.name.clone(),
            found: format!("{} ({e})", array.data_type()),
            expected: spec.data_type.name(),
        }
    })?;
    // A safe cast turns unparseable values into NULL: find the first such value and report it.
    if cast.null_count() > array.null_count()
        && let Some(row) = (0..array.len()).find(|&i| array.is_valid(i) && cast.is_null(i))
    {
        let value =
            arrow_cast::display::ArrayFormatter::try_new(array.as_ref(), &Default::default())
                .map(|f| f.value(row).to_string())
                .unwrap_or_default();
        return Err(SourceError::BadValue {
            file: file.into(),
            column: spec.name.clone(),
            row: first_row + row as u64,
            value,
            expected: spec.data_type.name(),
        });
    }
    let cast = if matches!(cast.data_type(), Arrow::Timestamp(_, Some(_))) {
        // Same microseconds, no zone: reinterpret rather than convert to local time.
        let data = cast
            .to_data()
            .into_builder()
            .data_type(target)
            .build()
            .map_err(|e| SourceError::WrongType {
                file: file.into(),
                column: spec.name.clone(),
                found: e.to_string(),
                expected: spec.data_type.name(),
            })?;
        arrow_array::make_array(data)
    } else {
        cast
    };
    Ok(cast)
}

/// Builds the manifest-shaped batch from `columns` (already in spec order).
pub fn batch(
    file: &Path,
    spec: &SourceSpec,
    columns: Vec<ArrayRef>,
    rows: usize,
    first_row: u64,
) -> Result<RecordBatch, SourceError> {
    let arrays = columns
        .iter()
        .zip(&spec.columns)
        .map(|(array, column_spec)| column(file, array, column_spec, first_row))
        .collect::<Result<Vec<_>, _>>()?;
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(spec.arrow_schema(), arrays, &options).map_err(|e| {
        SourceError::Unreadable {
            file: file.into(),
            format: "input",
            message: e.to_string(),
        }
    })
}
