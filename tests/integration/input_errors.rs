//! Bad input gets an error naming the file, column and row, and nothing is written.

use arrow_array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use std::path::Path;
use std::sync::Arc;

use crate::harness::*;

const HEADER: &str = "event_id,domain_userid,ecommerce_user_id,product_id,product_category,product_price,derived_tstamp,is_product_view,is_product_transaction,ecommerce_user_is_guest";

fn good_line(i: usize) -> String {
    format!("e{i},d{i},,p{i},Hats/Beanies,9.5,2024-03-02 10:00:00.000,TRUE,FALSE,")
}

fn csv_with(dir: &Path, header: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join("input.csv");
    std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    path
}

#[test]
fn well_formed_csv_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv_with(
        dir.path(),
        HEADER,
        &(0..3).map(good_line).collect::<Vec<_>>(),
    );
    run_ecommerce_locally(&input, &dir.path().join("out")).assert_ok();
}

#[test]
fn missing_column_names_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER.replace(",product_price", "");
    let lines: Vec<String> = (0..3)
        .map(|i| good_line(i).replacen(",9.5", "", 1))
        .collect();
    let input = csv_with(dir.path(), &header, &lines);
    let out = dir.path().join("out");
    run_ecommerce_locally(&input, &out).assert_failed_with(
        1,
        &[
            "input.csv",
            "missing column `product_price`",
            "the file has: event_id",
        ],
    );
    assert!(snapshot(&out).is_empty(), "nothing may be written");
}

#[test]
fn bad_timestamp_names_file_column_row_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..5).map(good_line).collect();
    lines[3] = lines[3].replace("2024-03-02 10:00:00.000", "yesterday noon");
    let input = csv_with(dir.path(), HEADER, &lines);
    run_ecommerce_locally(&input, &dir.path().join("out")).assert_failed_with(
        1,
        &[
            "input.csv",
            "column `derived_tstamp`, row 4",
            "\"yesterday noon\"",
            "timestamp",
        ],
    );
}

#[test]
fn bad_boolean_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..5).map(good_line).collect();
    lines[1] = lines[1].replace(",TRUE,", ",MAYBE,");
    let input = csv_with(dir.path(), HEADER, &lines);
    run_ecommerce_locally(&input, &dir.path().join("out")).assert_failed_with(
        1,
        &["column `is_product_view`, row 2", "\"MAYBE\"", "boolean"],
    );
}

#[test]
fn bad_number_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = (0..5).map(good_line).collect();
    lines[4] = lines[4].replace(",9.5,", ",9,5 EUR,");
    let input = csv_with(dir.path(), HEADER, &lines);
    // `9,5 EUR` splits into two fields: the row is malformed as CSV.
    run_ecommerce_locally(&input, &dir.path().join("out")).assert_failed_with(1, &["input.csv"]);
    lines[4] = good_line(4).replace(",9.5,", ",nine,");
    let input = csv_with(dir.path(), HEADER, &lines);
    run_ecommerce_locally(&input, &dir.path().join("out"))
        .assert_failed_with(1, &["column `product_price`, row 5", "\"nine\"", "float64"]);
}

#[test]
fn wrong_parquet_type_names_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.parquet");
    let text = |v: &str| Arc::new(StringArray::from(vec![v])) as ArrayRef;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("event_id", text("e")),
        ("domain_userid", text("d")),
        ("ecommerce_user_id", text("u")),
        ("product_id", text("p")),
        ("product_category", text("c")),
        ("product_price", Arc::new(BooleanArray::from(vec![true]))),
        ("derived_tstamp", text("2024-03-02 10:00:00")),
        ("is_product_view", Arc::new(BooleanArray::from(vec![true]))),
        (
            "is_product_transaction",
            Arc::new(BooleanArray::from(vec![false])),
        ),
        (
            "ecommerce_user_is_guest",
            Arc::new(BooleanArray::from(vec![false])),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    write_parquet(&path, &batch);
    run_ecommerce_locally(&path, &dir.path().join("out")).assert_failed_with(
        1,
        &[
            "typed.parquet",
            "column `product_price` has type Boolean",
            "float64",
        ],
    );
}

#[test]
fn unreadable_parquet_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.parquet");
    std::fs::write(&path, b"this is not parquet at all").unwrap();
    run_ecommerce_locally(&path, &dir.path().join("out"))
        .assert_failed_with(1, &["broken.parquet", "not a readable Parquet file"]);
}

#[test]
fn missing_input_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    run_ecommerce_locally(
        &dir.path().join("nowhere/*.parquet"),
        &dir.path().join("out"),
    )
    .assert_failed_with(1, &["no .parquet or .csv files found", "nowhere"]);
}

#[test]
fn a_later_bad_file_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let good: Vec<String> = (0..5).map(good_line).collect();
    std::fs::write(
        folder.join("a.csv"),
        format!("{HEADER}\n{}\n", good.join("\n")),
    )
    .unwrap();
    std::fs::write(
        folder.join("b.csv"),
        format!("{HEADER}\ne,d,,p,c,1.0,not a time,TRUE,FALSE,\n"),
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ecommerce_locally(&folder, &out)
        .assert_failed_with(1, &["b.csv", "row 1", "derived_tstamp"]);
    assert!(
        snapshot(&out).is_empty(),
        "no file may be visible after a failed run: {:?}",
        snapshot(&out).iter().map(|f| &f.0).collect::<Vec<_>>()
    );
}
