//! Row groups a Parquet file need not be read for, from its time column's statistics.
//!
//! Exports are usually written in time order and runs usually take a window of days from a
//! longer history, so most row groups of a large file often lie wholly before or after the
//! window. Their footer statistics (min and max time) say so without decoding a page. A
//! group is left out only when its statistics prove that none of its rows is in the window;
//! a group without them, or whose time column is not a timestamp, is read.

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use std::ops::Range;

use super::Skipped;
use crate::window::DateWindow;

/// Which row groups to read, as runs of consecutive groups with the 1-based number of each
/// run's first row in the file (error messages name rows by it).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ReadPlan {
    pub runs: Vec<(Range<usize>, u64)>,
}

/// The plan for `window` on `metadata`'s row groups, judged by column `time_column` (its
/// index in the file's Arrow schema); the rows left out are added to `skipped`.
pub(super) fn plan(
    metadata: &ArrowReaderMetadata,
    time_column: usize,
    window: Option<&DateWindow>,
    skipped: &Skipped,
) -> ReadPlan {
    let groups = metadata.metadata().row_groups();
    let ranges = window.and_then(|window| group_time_ranges(metadata, time_column, window));
    let mut runs: Vec<(Range<usize>, u64)> = Vec::new();
    let mut first_row = 1u64;
    for (index, group) in groups.iter().enumerate() {
        let rows = u64::try_from(group.num_rows()).unwrap_or(0);
        let outside = ranges.as_ref().and_then(|r| r[index]);
        if let Some(time_range) = outside {
            skipped.add(rows, time_range);
        } else {
            match runs.last_mut() {
                Some((run, _)) if run.end == index => run.end = index + 1,
                _ => runs.push((index..index + 1, first_row)),
            }
        }
        first_row += rows;
    }
    ReadPlan { runs }
}

/// Per row group: `Some(its time range in microseconds)` when the statistics prove it has no
/// row in the window, else `None`. `None` overall when the column cannot be judged.
fn group_time_ranges(
    metadata: &ArrowReaderMetadata,
    time_column: usize,
    window: &DateWindow,
) -> Option<Vec<Option<(i64, i64)>>> {
    let schema = metadata.schema();
    let field = schema.field(time_column);
    let DataType::Timestamp(unit, _) = field.data_type() else {
        return None; // dates and text are converted row by row: no bound to trust here
    };
    let parquet_schema = metadata.metadata().file_metadata().schema_descr();
    let converter = StatisticsConverter::try_new(field.name(), schema, parquet_schema).ok()?;
    let groups = metadata.metadata().row_groups();
    let mins = converter.row_group_mins(groups).ok()?;
    let maxes = converter.row_group_maxes(groups).ok()?;
    let (lo, hi) = window.micros_range();
    let (mins, maxes) = (as_i64(&mins)?, as_i64(&maxes)?);
    let ranges = (0..groups.len()).map(|i| {
        if mins.is_null(i) || maxes.is_null(i) {
            return None;
        }
        // The reader's conversion to microseconds lands between these bounds, whichever way
        // it rounds: a group is left out only if even the widest reading misses the window.
        let (min, max) = (mins.value(i), maxes.value(i));
        let earliest = micros_floor(min, *unit)?;
        let latest = micros_ceil(max, *unit)?;
        let outside = latest < lo || earliest >= hi;
        outside.then_some((earliest, micros_floor(max, *unit)?))
    });
    Some(ranges.collect())
}

/// A timestamp array's raw values (in any unit, an i64 count).
fn as_i64(array: &ArrayRef) -> Option<PrimitiveArray<Int64Type>> {
    let values = arrow_cast::cast(array, &DataType::Int64).ok()?;
    Some(values.as_primitive::<Int64Type>().clone())
}

/// `value` in `unit` as microseconds, rounded down; `None` past i64's range.
fn micros_floor(value: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Second => value.checked_mul(1_000_000),
        TimeUnit::Millisecond => value.checked_mul(1_000),
        TimeUnit::Microsecond => Some(value),
        TimeUnit::Nanosecond => Some(value.div_euclid(1_000)),
    }
}

/// `value` in `unit` as microseconds, rounded up; `None` past i64's range.
fn micros_ceil(value: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Nanosecond => {
            Some(value.div_euclid(1_000) + i64::from(value.rem_euclid(1_000) != 0))
        }
        _ => micros_floor(value, unit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_round_both_ways_before_1970_too() {
        assert_eq!(micros_floor(-1_500, TimeUnit::Nanosecond), Some(-2));
        assert_eq!(micros_ceil(-1_500, TimeUnit::Nanosecond), Some(-1));
        assert_eq!(micros_floor(2_000, TimeUnit::Nanosecond), Some(2));
        assert_eq!(micros_ceil(2_000, TimeUnit::Nanosecond), Some(2));
        assert_eq!(micros_ceil(2_001, TimeUnit::Nanosecond), Some(3));
        assert_eq!(micros_floor(i64::MAX, TimeUnit::Second), None);
        assert_eq!(micros_floor(-3, TimeUnit::Millisecond), Some(-3_000));
    }
}
