//! Which files a run reads and how it reads them: symbolic links (followed, each file read
//! once, broken links named), bytes that are not UTF-8 (harmless where the plugin does not
//! look), duplicate column names, empty files, and an output folder inside the input.

use arrow_array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::harness::*;

const HEADER: &str = "event_id,domain_userid,ecommerce_user_id,product_id,product_category,product_price,derived_tstamp,is_product_view,is_product_transaction,ecommerce_user_is_guest";

/// A CSV of `rows` good rows (ids prefixed with `tag`) in `dir`.
fn write_csv(dir: &Path, name: &str, tag: &str, rows: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let lines: String = (0..rows)
        .map(|i| format!("{tag}{i},d{tag}{i},,p{i},Hats,9.5,2024-03-02 10:00:00.000,TRUE,FALSE,\n"))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}\n{lines}")).unwrap();
    path
}

/// `rechost run --json` of the ecommerce plugin: (files read, rows read).
fn run_counting(input: &str, out: &Path) -> (u64, u64) {
    let run = rechost(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            input,
            "--out",
            &path_arg(out),
            "--json",
        ]
        .into_iter()
        .chain(SAMPLE_WINDOW),
    );
    run.assert_ok();
    let summary = run.json();
    let number = |key: &str| {
        summary[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {summary}"))
    };
    (number("input_files"), number("rows_read"))
}

#[test]
fn a_glob_through_a_linked_folder_reads_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_csv(&input.join("real"), "a.csv", "a", 7);
    symlink(input.join("real"), input.join("link")).unwrap();
    symlink(input.join("real/a.csv"), input.join("also-a.csv")).unwrap();
    let pattern = format!("{}/**/*.csv", input.display());
    assert_eq!(run_counting(&pattern, &dir.path().join("out")), (1, 7));
}

#[test]
fn a_link_loop_is_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_csv(&input.join("sub"), "a.csv", "a", 5);
    // in/sub/loop -> in: every path in/sub/loop/sub/loop/... leads to the same file.
    symlink(&input, input.join("sub/loop")).unwrap();
    let out = dir.path().join("out");
    assert_eq!(run_counting(&path_arg(&input), &out), (1, 5));
    let pattern = format!("{}/**/*.csv", input.display());
    assert_eq!(run_counting(&pattern, &out), (1, 5));
}

#[test]
fn a_folder_input_follows_a_linked_subfolder() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_csv(&input, "a.csv", "a", 3);
    write_csv(&dir.path().join("elsewhere"), "b.csv", "b", 4);
    symlink(dir.path().join("elsewhere"), input.join("more")).unwrap();
    assert_eq!(
        run_counting(&path_arg(&input), &dir.path().join("out")),
        (2, 7)
    );
}

#[test]
fn a_broken_link_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_csv(&input, "a.csv", "a", 3);
    symlink(dir.path().join("gone"), input.join("b.csv")).unwrap();
    for given in [path_arg(&input), format!("{}/*.csv", input.display())] {
        let out = dir.path().join("out");
        run_ecommerce_locally(Path::new(&given), &out)
            .assert_failed_with(1, &["b.csv", "broken symbolic link", "gone"]);
        assert!(snapshot(&out).is_empty(), "nothing may be written");
    }
}

/// A row of the export with an extra column the ecommerce plugin does not read.
fn row_with_note(i: usize, category: &[u8], note: &[u8]) -> Vec<u8> {
    let mut row = format!("e{i},d{i},,p{i},").into_bytes();
    row.extend_from_slice(category);
    row.extend_from_slice(b",9.5,2024-03-02 10:00:00.000,TRUE,FALSE,,");
    row.extend_from_slice(note);
    row.push(b'\n');
    row
}

#[test]
fn a_stray_byte_matters_only_where_the_plugin_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.csv");
    let mut text = format!("{HEADER},page_title\n").into_bytes();
    for i in 0..4 {
        text.extend(row_with_note(i, b"Hats", b"Caf\xe9 \xff"));
    }
    std::fs::write(&path, &text).unwrap();
    assert_eq!(
        run_counting(&path_arg(&path), &dir.path().join("out")),
        (1, 4)
    );

    text.extend(row_with_note(4, b"Chap\xe9aux", b"ok"));
    std::fs::write(&path, &text).unwrap();
    run_ecommerce_locally(&path, &dir.path().join("out2")).assert_failed_with(
        1,
        &["latin1.csv", "column `product_category`, row 5", "UTF-8"],
    );
}

#[test]
fn duplicate_column_names_in_a_csv_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.csv");
    let header = format!("{HEADER},DOMAIN_USERID");
    let row = "e1,d1,,p1,Hats,9.5,2024-03-02 10:00:00.000,TRUE,FALSE,,other";
    std::fs::write(&path, format!("{header}\n{row}\n")).unwrap();
    run_ecommerce_locally(&path, &dir.path().join("out"))
        .assert_failed_with(1, &["dup.csv", "`domain_userid`", "`DOMAIN_USERID`"]);
}

#[test]
fn duplicate_column_names_in_parquet_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.parquet");
    let text = |v: &str| Arc::new(StringArray::from(vec![v])) as ArrayRef;
    let flag = |v: bool| Arc::new(BooleanArray::from(vec![v])) as ArrayRef;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("event_id", text("e")),
        ("Product_Id", text("first")),
        ("domain_userid", text("d")),
        ("ecommerce_user_id", text("u")),
        ("product_id", text("second")),
        ("product_category", text("c")),
        ("product_price", text("1.5")),
        ("derived_tstamp", text("2024-03-02 10:00:00")),
        ("is_product_view", flag(true)),
        ("is_product_transaction", flag(false)),
        ("ecommerce_user_is_guest", flag(false)),
    ];
    write_parquet(&path, &RecordBatch::try_from_iter(columns).unwrap());
    run_ecommerce_locally(&path, &dir.path().join("out"))
        .assert_failed_with(1, &["dup.parquet", "`Product_Id`", "`product_id`"]);
}

#[test]
fn an_empty_csv_says_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [("zero.csv", ""), ("blank.csv", "\n\n")] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let run = run_ecommerce_locally(&path, &dir.path().join("out"));
        run.assert_failed_with(1, &[name, "empty file"]);
        assert!(!run.stderr.contains("missing column"), "{}", run.stderr);
    }
}

#[test]
fn an_output_folder_inside_the_input_is_not_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write_csv(&input, "a.csv", "a", 6);
    let out = input.join("out");
    assert_eq!(run_counting(&path_arg(&input), &out), (1, 6));
    assert!(
        !snapshot(&out).is_empty(),
        "the first run wrote its datasets"
    );
    // Given relative to the working folder too: the same folder, however it is spelled.
    let spelled = input.join("..").join("in").join("out");
    assert_eq!(run_counting(&path_arg(&input), &spelled), (1, 6));
}
