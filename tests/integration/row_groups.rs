//! Parquet row groups whose time statistics lie wholly outside the window are not read: the
//! datasets are the same as when every row is read, the summary still counts those rows, and
//! errors still name the right file row and column.

use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use arrow_array::{TimestampMicrosecondArray, TimestampNanosecondArray};
use parquet::arrow::ArrowWriter;
use std::path::Path;
use std::sync::Arc;

use crate::harness::*;

const DAY_MICROS: i64 = 86_400_000_000;
/// 2024-03-01T00:00:00Z in microseconds.
const MARCH_1: i64 = 19_783 * DAY_MICROS;

/// One row group's rows: `rows` events starting at `start` (microseconds), an hour apart,
/// ids prefixed with `tag`; `price` gives each row's price text.
fn group(tag: &str, start: i64, rows: usize, price: impl Fn(usize) -> String) -> RecordBatch {
    let text = |f: &dyn Fn(usize) -> String| {
        Arc::new(StringArray::from_iter_values((0..rows).map(f))) as ArrayRef
    };
    let nanos = (0..rows).map(|i| (start + i as i64 * 3_600_000_000) * 1_000 + 999);
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("event_id", text(&|i| format!("{tag}-e{i}"))),
        ("domain_userid", text(&|i| format!("{tag}-u{}", i % 3))),
        ("ecommerce_user_id", Arc::new(StringArray::new_null(rows))),
        ("product_id", text(&|i| format!("{tag}-p{}", i % 4))),
        ("product_category", text(&|_| "Hats".into())),
        ("product_price", text(&price)),
        (
            "derived_tstamp",
            Arc::new(TimestampNanosecondArray::from_iter_values(nanos).with_timezone("UTC")),
        ),
        (
            "is_product_view",
            Arc::new(BooleanArray::from(vec![true; rows])),
        ),
        (
            "is_product_transaction",
            Arc::new(BooleanArray::from(vec![false; rows])),
        ),
        (
            "ecommerce_user_is_guest",
            Arc::new(BooleanArray::from(vec![false; rows])),
        ),
    ];
    RecordBatch::try_from_iter(columns).unwrap()
}

/// Writes each batch as a row group of its own.
fn write_groups(path: &Path, groups: &[RecordBatch]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, groups[0].schema(), None).unwrap();
    for batch in groups {
        writer.write(batch).unwrap();
        writer.flush().unwrap(); // ends the row group
    }
    writer.close().unwrap();
}

fn run_json(input: &Path, out: &Path) -> Run {
    run_ecommerce_json(input, out, &SAMPLE_WINDOW)
}

fn datasets_csv(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = snapshot(out)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".csv"))
        .collect();
    files.sort();
    files
}

fn good_price(i: usize) -> String {
    format!("{}.5", i + 1)
}

#[test]
fn groups_outside_the_window_are_left_unread_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Before the window (with prices that cannot be read: reading them would fail the run),
    // across its start, inside, and after it.
    let before = group("before", MARCH_1 - 10 * DAY_MICROS, 20, |_| "n/a".into());
    let across = group("across", MARCH_1 - 3_600_000_000, 5, good_price);
    let inside = group("inside", MARCH_1 + 4 * DAY_MICROS, 30, good_price);
    let after = group("after", MARCH_1 + 12 * DAY_MICROS, 25, |_| "n/a".into());
    let all = dir.path().join("all.parquet");
    write_groups(&all, &[before, across.clone(), inside.clone(), after]);
    let only_kept = dir.path().join("kept.parquet");
    write_groups(&only_kept, &[across, inside]);

    let run = run_json(&all, &dir.path().join("out-all"));
    run.assert_ok();
    let summary = run.json();
    assert_eq!(summary["rows_read"], 80, "{summary}");
    assert_eq!(summary["rows_skipped"], 45, "{summary}");
    // Outside: the two skipped groups, and the row of `across` before March 1.
    assert_eq!(summary["rows_outside_window"], 46, "{summary}");
    assert_eq!(summary["rows_transformed"], 34, "{summary}");

    run_json(&only_kept, &dir.path().join("out-kept")).assert_ok();
    let (got, want) = (
        datasets_csv(&dir.path().join("out-all")),
        datasets_csv(&dir.path().join("out-kept")),
    );
    assert_eq!(got.len(), 3, "three datasets");
    assert_eq!(got, want, "the same datasets as from the kept groups alone");
}

#[test]
fn a_bad_value_after_a_skipped_group_names_its_row_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let before = group("before", MARCH_1 - 10 * DAY_MICROS, 20, good_price);
    let inside = group("inside", MARCH_1 + DAY_MICROS, 10, |i| {
        if i == 6 { "free".into() } else { good_price(i) }
    });
    let path = dir.path().join("events.parquet");
    write_groups(&path, &[before, inside]);
    // Row 7 of the second group is row 27 of the file.
    run_json(&path, &dir.path().join("out")).assert_failed_with(
        1,
        &["events.parquet", "`product_price`", "row 27", "\"free\""],
    );
}

#[test]
fn a_file_wholly_outside_the_window_still_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("february.parquet");
    write_groups(
        &path,
        &[group("feb", MARCH_1 - 20 * DAY_MICROS, 12, good_price)],
    );
    let out = dir.path().join("out");
    run_json(&path, &out).assert_failed_with(
        1,
        &["none of the 12 rows read is in the window", "2024-02-10"],
    );
    assert!(snapshot(&out).is_empty(), "nothing may be written");

    // A column of the wrong type is refused even though no row of the file is read.
    let batch = group("feb", MARCH_1 - 20 * DAY_MICROS, 3, good_price);
    let (schema, mut columns) = (batch.schema(), batch.columns().to_vec());
    let flags = schema.index_of("is_product_view").unwrap();
    columns[flags] = Arc::new(Int64Array::from(vec![1, 0, 1]));
    let fields: Vec<_> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let wrong = RecordBatch::try_from_iter(fields.into_iter().zip(columns)).unwrap();
    write_groups(&path, &[wrong]);
    run_json(&path, &out).assert_failed_with(1, &["february.parquet", "`is_product_view`"]);
}

#[test]
fn microsecond_times_are_judged_too() {
    let dir = tempfile::tempdir().unwrap();
    let micros = |batch: RecordBatch| {
        let schema = batch.schema();
        let position = schema.index_of("derived_tstamp").unwrap();
        let nanos = batch.column(position).as_any();
        let nanos = nanos.downcast_ref::<TimestampNanosecondArray>().unwrap();
        let mut columns = batch.columns().to_vec();
        columns[position] = Arc::new(TimestampMicrosecondArray::from_iter_values(
            nanos.values().iter().map(|n| n / 1_000),
        ));
        let names = schema.fields().iter().map(|f| f.name().clone());
        RecordBatch::try_from_iter(names.zip(columns)).unwrap()
    };
    let path = dir.path().join("micros.parquet");
    write_groups(
        &path,
        &[
            micros(group("in", MARCH_1, 4, good_price)),
            micros(group("out", MARCH_1 + 30 * DAY_MICROS, 6, |_| "n/a".into())),
        ],
    );
    let run = run_json(&path, &dir.path().join("out"));
    run.assert_ok();
    assert_eq!(run.json()["rows_skipped"], 6);
}
