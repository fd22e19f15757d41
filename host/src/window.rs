//! The date window: rows whose UTC date of the manifest's time column lies in
//! `[start, end]`, both inclusive.

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_buffer::BooleanBuffer;
use chrono::{Days, NaiveDate};
use serde::Serialize;

/// The default look-back, as in the dbt package this replaces.
pub const DEFAULT_LOOK_BACK_DAYS: u32 = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateWindow {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    #[error("start date {start} is after end date {end}")]
    Reversed { start: NaiveDate, end: NaiveDate },
    #[error("look-back of {days} days does not fit the calendar")]
    OutOfRange { days: u32 },
}

impl DateWindow {
    pub fn between(start: NaiveDate, end: NaiveDate) -> Result<Self, WindowError> {
        if start > end {
            return Err(WindowError::Reversed { start, end });
        }
        Ok(Self { start, end })
    }

    /// `[today - days, today - 1]`: the last `days` whole days before `today` (UTC).
    pub fn look_back(days: u32, today: NaiveDate) -> Result<Self, WindowError> {
        let days = days.max(1);
        let start = today
            .checked_sub_days(Days::new(days.into()))
            .ok_or(WindowError::OutOfRange { days })?;
        let end = today
            .checked_sub_days(Days::new(1))
            .ok_or(WindowError::OutOfRange { days })?;
        Ok(Self { start, end })
    }

    /// The first day after the window (the exclusive upper bound of range filters in SQL).
    pub fn day_after_end(&self) -> NaiveDate {
        self.end.checked_add_days(Days::new(1)).unwrap_or(self.end)
    }

    /// `[lo, hi)` in microseconds since the epoch.
    pub(crate) fn micros_range(&self) -> (i64, i64) {
        let micros = |date: NaiveDate| {
            date.and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
                .timestamp_micros()
        };
        (micros(self.start), micros(self.day_after_end()))
    }

    /// The earliest and latest time (microseconds) in `batch`'s `time_index` column, NULLs
    /// aside: what the input covers, for the message when no row falls in the window.
    pub fn time_range(batch: &RecordBatch, time_index: usize) -> Option<(i64, i64)> {
        let times = batch
            .column(time_index)
            .as_primitive::<TimestampMicrosecondType>();
        let valid = (0..times.len()).filter(|&i| times.is_valid(i));
        valid
            .map(|i| times.value(i))
            .fold(None, |range, t| match range {
                None => Some((t, t)),
                Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
            })
    }

    /// Keeps the rows of `batch` whose `time_index` column (Timestamp(us)) is in the window;
    /// NULL times are outside. Returns the kept rows and how many were left out.
    pub fn apply(&self, batch: RecordBatch, time_index: usize) -> (RecordBatch, usize) {
        let (lo, hi) = self.micros_range();
        let times = batch
            .column(time_index)
            .as_primitive::<TimestampMicrosecondType>();
        let values = times.values();
        let keep = match times.nulls() {
            None => BooleanBuffer::collect_bool(values.len(), |i| (lo..hi).contains(&values[i])),
            Some(nulls) => BooleanBuffer::collect_bool(values.len(), |i| {
                nulls.is_valid(i) && (lo..hi).contains(&values[i])
            }),
        };
        let kept = keep.count_set_bits();
        let outside = batch.num_rows() - kept;
        if outside == 0 {
            return (batch, 0);
        }
        let filtered =
            arrow_select::filter::filter_record_batch(&batch, &BooleanArray::new(keep, None))
                .expect("a mask of the batch's own length always filters");
        (filtered, outside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::TimestampMicrosecondArray;
    use std::sync::Arc;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn look_back_ends_yesterday() {
        let w = DateWindow::look_back(31, date("2024-03-01")).unwrap();
        assert_eq!(w.start, date("2024-01-30"));
        assert_eq!(w.end, date("2024-02-29"));
    }

    #[test]
    fn both_ends_inclusive_and_nulls_outside() {
        let w = DateWindow::between(date("2024-01-02"), date("2024-01-03")).unwrap();
        let day = 86_400_000_000i64;
        let jan2 = 19724 * day; // 2024-01-02T00:00:00Z
        let times = TimestampMicrosecondArray::from(vec![
            Some(jan2 - 1),
            Some(jan2),
            Some(jan2 + 2 * day - 1),
            Some(jan2 + 2 * day),
            None,
        ]);
        let batch = RecordBatch::try_from_iter([("t", Arc::new(times) as _)]).unwrap();
        let (kept, outside) = w.apply(batch, 0);
        assert_eq!(outside, 3);
        let kept = kept.column(0).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(kept.values().to_vec(), vec![jan2, jan2 + 2 * day - 1]);
    }

    #[test]
    fn reversed_dates_are_rejected() {
        assert!(DateWindow::between(date("2024-02-01"), date("2024-01-01")).is_err());
    }
}
