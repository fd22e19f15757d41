//! Limits derived from what a plugin may use, not guessed: batches the boundary can always
//! carry, drop reasons that cannot flood the report, plugin text that cannot drive the
//! terminal, knobs named as the caller spells them.

use crate::harness::*;

fn misbehave(input: &std::path::Path, out: &std::path::Path, mode: &str, extra: &[&str]) -> Run {
    rechost(misbehave_args(input, out, mode, extra))
}

fn rows_csv(dir: &std::path::Path, rows: usize) -> std::path::PathBuf {
    misbehave_events(dir, rows)
}

#[track_caller]
fn assert_no_raw_escapes(text: &str) {
    for raw in ['\u{1b}', '\u{7}', '\r'] {
        assert!(
            !text.contains(raw),
            "raw {raw:?} reached the terminal:\n{text:?}"
        );
    }
}

#[test]
fn a_reason_per_row_is_capped_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let input = rows_csv(dir.path(), 20_000);
    let out = dir.path().join("out");
    let run = misbehave(&input, &out, "many-reasons", &["--allow-empty"]);
    run.assert_ok();
    assert_no_raw_escapes(&run.stdout);
    let reasons = run.stdout.lines().filter(|l| l.contains(" rows: ")).count();
    assert_eq!(
        reasons, 51,
        "50 reasons and the rest together:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("rows: (other reasons)"),
        "{}",
        run.stdout
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("readiness-test.json")).unwrap()).unwrap();
    let dropped = report["dropped_rows"].as_object().unwrap();
    assert_eq!(dropped.len(), 51);
    assert_eq!(
        dropped.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        20_000
    );
    assert!(
        dropped
            .keys()
            .all(|k| !k.contains('\u{1b}') && !k.contains('\n'))
    );
}

#[test]
fn plugin_errors_and_output_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let input = rows_csv(dir.path(), 10);
    let run = misbehave(&input, &dir.path().join("out"), "escapes", &[]);
    run.assert_failed_with(1, &["reported an error", "\\u{1b}[32mok", "  | "]);
    assert_no_raw_escapes(&run.stderr);
    // The plugin's fake "done" line stays inside the one error line, its output is quoted.
    assert!(
        !run.stderr.lines().any(|l| l.starts_with("done in")),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.lines().any(|l| l.starts_with("error: fake")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_batch_larger_than_the_plugins_memory_is_sent_in_slices() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.parquet");
    sample("ecommerce", 200_000, &input);
    let run_with = |out: &str, extra: &[&str]| {
        let args = [
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            &path_arg(&input),
            "--out",
            &path_arg(&dir.path().join(out)),
            "--quiet",
        ];
        rechost(
            args.iter()
                .copied()
                .chain(SAMPLE_WINDOW)
                .chain(extra.iter().copied()),
        )
    };
    run_with("default", &[]).assert_ok();
    // One 200k-row batch into a 48 MiB plugin: it could not hold the batch and its output.
    run_with(
        "sliced",
        &["--batch-rows", "1000000", "--plugin-memory-mib", "48"],
    )
    .assert_ok();
    // The same rows (Parquet pages follow batch sizes, so compare its rows, not its bytes).
    let (default, sliced) = (
        snapshot(&dir.path().join("default")),
        snapshot(&dir.path().join("sliced")),
    );
    assert_eq!(default.len(), sliced.len());
    for ((name, bytes), (other_name, other_bytes)) in default.iter().zip(&sliced) {
        assert_eq!(name, other_name);
        if name.ends_with(".parquet") {
            let rows = |root: &str| {
                let batches = read_parquet(&dir.path().join(root).join(name));
                arrow_select::concat::concat_batches(&batches[0].schema(), &batches).unwrap()
            };
            assert_eq!(rows("default"), rows("sliced"), "{name}");
        } else {
            assert_eq!(bytes, other_bytes, "{name}");
        }
    }
}

#[test]
fn a_million_row_batch_crosses_the_boundary() {
    // Its output is larger than wasmtime's default per-call budget for what a guest hands
    // back (128 MiB): the budget now follows the plugin's memory cap.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.parquet");
    sample("ecommerce", 1_000_000, &input);
    let args = [
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(&input),
        "--out",
        &path_arg(&dir.path().join("out")),
        "--batch-rows",
        "1000000",
        "--workers",
        "1",
        "--json",
    ];
    let run = rechost(args.iter().copied().chain(SAMPLE_WINDOW));
    run.assert_ok();
    assert_eq!(run.json()["rows_read"], 1_000_000);
}

#[test]
fn batch_rows_outside_its_range_is_a_usage_error() {
    for rows in ["0", "100000000"] {
        let run = rechost([
            "run",
            &path_arg(&guests().media),
            "--input",
            "x.csv",
            "--out",
            "o",
            "--batch-rows",
            rows,
        ]);
        assert_eq!(run.code, Some(2), "{rows}: {}", run.stderr);
    }
}
