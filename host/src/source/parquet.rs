//! Parquet files, reading only the columns the plugin needs (projection pushdown) and only
//! the row groups that can hold rows in the window (see `prune`).

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use std::fs::File;
use std::ops::Range;
use std::path::Path;

use super::shape::{check_types, normalized, project};
use super::{Batches, Skipped, SourceError, prune};
use crate::manifest::SourceSpec;
use crate::window::DateWindow;

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

/// The file's batches; row groups whose time statistics lie outside `window` are left out
/// and counted in `skipped`.
pub fn open(
    file: &Path,
    spec: &SourceSpec,
    batch_size: usize,
    window: Option<&DateWindow>,
    skipped: &Skipped,
) -> Result<Batches, SourceError> {
    let handle = File::open(file).map_err(|source| SourceError::Io {
        file: file.into(),
        source,
    })?;
    let metadata =
        ArrowReaderMetadata::load(&handle, Default::default()).map_err(|e| unreadable(file, e))?;
    let projection = project(file, metadata.schema(), spec)?;
    check_types(file, metadata.schema(), &projection, spec)?;
    let time_column = projection.columns[projection.order[spec.time_index]];
    let plan = prune::plan(&metadata, time_column, window, skipped);
    let mask = ProjectionMask::roots(metadata.parquet_schema(), projection.columns);

    let path = file.to_path_buf();
    let order = projection.order;
    let spec = spec.clone();
    // A reader per run of consecutive groups: a batch never spans a left-out group, so each
    // run's row numbers (for errors) start from its own first row.
    let runs = plan
        .runs
        .into_iter()
        .map(move |(groups, first_row)| -> Batches {
            let run = RowGroups {
                file: &handle,
                metadata: &metadata,
                mask: &mask,
                groups,
            };
            match run.reader(&path, batch_size) {
                Ok(reader) => {
                    let file = path.clone();
                    let raw = reader.map(move |batch| batch.map_err(|e| unreadable(&file, e)));
                    normalized(&path, &spec, order.clone(), raw, first_row)
                }
                Err(e) => Box::new(std::iter::once(Err(e))),
            }
        });
    Ok(Box::new(runs.flatten()))
}

/// Consecutive row groups of an open file, read with the file's metadata loaded once.
struct RowGroups<'a> {
    file: &'a File,
    metadata: &'a ArrowReaderMetadata,
    mask: &'a ProjectionMask,
    groups: Range<usize>,
}

impl RowGroups<'_> {
    fn reader(
        self,
        path: &Path,
        batch_size: usize,
    ) -> Result<ParquetRecordBatchReader, SourceError> {
        let file = self.file.try_clone().map_err(|source| SourceError::Io {
            file: path.into(),
            source,
        })?;
        ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
            .with_projection(self.mask.clone())
            .with_row_groups(self.groups.collect())
            .with_batch_size(batch_size)
            .build()
            .map_err(|e| unreadable(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ColumnSpec, DataType};
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    use arrow_array::{ArrayRef, RecordBatch, TimestampNanosecondArray, TimestampSecondArray};
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use std::sync::Arc;

    const DAY_SECONDS: i64 = 86_400;

    fn spec() -> SourceSpec {
        let column = ColumnSpec {
            name: "t".into(),
            data_type: DataType::Timestamp,
            nullable: true,
            categorical: false,
            role: None,
        };
        SourceSpec {
            table: "t".into(),
            columns: vec![column],
            time_column: "t".into(),
            time_index: 0,
        }
    }

    /// A row group of times (seconds from 1970, NULL for `None`), stored in seconds or in
    /// nanoseconds (shifted by `nanos`, so rounding to microseconds matters).
    fn group(times: &[Option<i64>], in_nanos: bool, nanos: i64) -> RecordBatch {
        let array: ArrayRef = if in_nanos {
            let values = times.iter().map(|t| t.map(|s| s * 1_000_000_000 + nanos));
            Arc::new(TimestampNanosecondArray::from_iter(values))
        } else {
            Arc::new(TimestampSecondArray::from_iter(times.iter().copied()))
        };
        RecordBatch::try_from_iter([("t", array)]).unwrap()
    }

    /// The window's rows of `path`, in file order, read with or without leaving groups out;
    /// and how many rows were left out.
    fn times_in_window(path: &Path, window: &DateWindow, prune: bool) -> (Vec<i64>, u64) {
        let skipped = Skipped::default();
        let batches = open(path, &spec(), 7, prune.then_some(window), &skipped).unwrap();
        let mut times = Vec::new();
        for batch in batches {
            let (kept, _) = window.apply(batch.unwrap(), 0);
            let column = kept.column(0).as_primitive::<TimestampMicrosecondType>();
            times.extend(column.values().iter().copied());
        }
        (times, skipped.total().rows)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Leaving groups out never loses a row of the window, in any unit, before 1970 too.
        #[test]
        fn skipped_groups_hold_no_row_of_the_window(
            groups in prop::collection::vec(
                (prop::collection::vec(prop::option::weighted(0.9, (0..3i64, 0..5usize)), 1..12),
                 -2..10i64),
                1..8,
            ),
            in_nanos in any::<bool>(),
            nanos in -999..1000i64,
            (first, days) in (-3..10i64, 0..4i64),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.parquet");
            let file = File::create(&path).unwrap();
            let schema = group(&[None], in_nanos, 0).schema();
            let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
            let mut rows = 0;
            for (days_in, start) in &groups {
                // Times within a group: days after its start, at or a second around midnight
                // (where the window's edges are), or later in the day.
                let times: Vec<_> = (days_in.iter())
                    .map(|t| t.map(|(day, at)| {
                        (start + day) * DAY_SECONDS + [-1, 0, 1, 3_599, 43_200][at]
                    }))
                    .collect();
                rows += times.len() as u64;
                writer.write(&group(&times, in_nanos, nanos)).unwrap();
                writer.flush().unwrap();
            }
            writer.close().unwrap();
            let day = |n: i64| NaiveDate::default() + chrono::TimeDelta::days(n); // from 1970
            let window = DateWindow::between(day(first), day(first + days)).unwrap();

            let (every, none_skipped) = times_in_window(&path, &window, false);
            let (pruned, skipped) = times_in_window(&path, &window, true);
            prop_assert_eq!(none_skipped, 0);
            prop_assert_eq!(pruned, every);
            prop_assert!(skipped <= rows);
        }
    }
}
