//! Misbehaving plugins (tests/plugins/misbehave): each failure is stopped, reported with the
//! plugin, dataset or batch and cause, and the previous complete output survives untouched.

use std::path::Path;

use crate::harness::*;

fn write_input(dir: &Path) -> std::path::PathBuf {
    write_rows(dir, 50)
}

fn write_rows(dir: &Path, rows: usize) -> std::path::PathBuf {
    misbehave_events(dir, rows)
}

fn run_mode(input: &Path, out: &Path, mode: &str, extra: &[&str]) -> Run {
    let mut args = misbehave_args(input, out, mode, &["--quiet"]);
    args.extend(extra.iter().map(|s| s.to_string()));
    rechost(args)
}

/// Runs a good job, then `mode` into the same folder; checks the failure message and that the
/// good output is byte-for-byte intact with no temporary files left behind.
fn assert_fails_cleanly(mode: &str, extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let out = dir.path().join("out");
    run_mode(&input, &out, "ok", &[]).assert_ok();
    let before = snapshot(&out);
    assert!(
        before
            .iter()
            .any(|(name, _)| name.ends_with("personalize-dataset.csv"))
    );

    let run = run_mode(&input, &out, mode, extra);
    let mut all = vec!["misbehave"];
    all.extend_from_slice(needles);
    run.assert_failed_with(1, &all);
    assert_eq!(
        snapshot(&out),
        before,
        "output changed after the failed `{mode}` run"
    );
}

#[test]
fn good_run_copies_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let out = dir.path().join("out");
    run_mode(&input, &out, "ok", &[]).assert_ok();
    let rows = read_csv(&out.join("out/personalize-dataset.csv"));
    assert_eq!(rows.len(), 51);
    assert_eq!(rows[1], ["id-0", "1709287200"]);
}

#[test]
fn trap_is_reported_with_plugin_batch_and_panic_message() {
    assert_fails_cleanly(
        "trap",
        &[],
        &["trapped", "batch 0", "producing out", "deliberate trap"],
    );
}

#[test]
fn plugin_output_is_captured_into_the_error() {
    assert_fails_cleanly(
        "print-and-trap",
        &[],
        &["plugin stdout line", "plugin stderr line"],
    );
}

#[test]
fn endless_loop_is_stopped_by_the_deadline() {
    let started = std::time::Instant::now();
    assert_fails_cleanly(
        "loop",
        &["--plugin-timeout-secs", "0.5"],
        &["exceeded its time limit of 0.5 s"],
    );
    // Not a timing assertion on speed: only that the deadline, not the test runner, ended it.
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

#[test]
fn unbounded_allocation_hits_the_memory_cap() {
    assert_fails_cleanly(
        "oom",
        &["--plugin-memory-mib", "64"],
        &["exceeded its memory limit of 64 MiB"],
    );
}

#[test]
fn an_instance_whose_heap_only_grows_is_replaced_before_it_hits_the_cap() {
    // 20 batches leaking 8 MiB each: 160 MiB in one instance, over its 64 MiB cap. Replaced
    // once past half its cap, every instance stays under it and the run completes.
    let dir = tempfile::tempdir().unwrap();
    let input = misbehave_events(dir.path(), 200);
    let out = dir.path().join("out");
    let extra = [
        "--plugin-memory-mib",
        "64",
        "--batch-rows",
        "10",
        "--workers",
        "1",
        "--quiet",
    ];
    rechost(misbehave_args(&input, &out, "leak", &extra)).assert_ok();
    let rows = read_csv(&out.join("out/personalize-dataset.csv"));
    assert_eq!(rows.len(), 201, "header and every row");
}

#[test]
fn reported_error_is_shown() {
    assert_fails_cleanly(
        "error",
        &[],
        &[
            "reported an error in batch 0",
            "deliberate error from the plugin",
        ],
    );
}

#[test]
fn out_of_bounds_offsets_are_rejected() {
    assert_fails_cleanly(
        "bad-offsets",
        &[],
        &[
            "invalid output for dataset out in batch 0",
            "column ID",
            "offsets reach byte",
        ],
    );
}

#[test]
fn invalid_utf8_is_rejected() {
    assert_fails_cleanly("bad-utf8", &[], &["column ID", "not valid UTF-8"]);
}

#[test]
fn text_cut_inside_a_character_is_rejected() {
    assert_fails_cleanly("split-char", &[], &["column ID", "cuts a UTF-8 character"]);
}

#[test]
fn wrong_column_type_is_rejected() {
    assert_fails_cleanly(
        "wrong-type",
        &[],
        &["column ID", "has type int64, the manifest declares utf8"],
    );
}

#[test]
fn wrong_row_count_is_rejected() {
    assert_fails_cleanly(
        "short-column",
        &[],
        &["column ID", "offsets has 51 entries, expected 52"],
    );
}

#[test]
fn null_in_a_required_column_is_rejected() {
    assert_fails_cleanly(
        "null-in-required",
        &[],
        &["column ID", "is NULL at row 0", "not nullable"],
    );
}

#[test]
fn missing_dataset_batches_are_rejected() {
    assert_fails_cleanly(
        "wrong-dataset-count",
        &[],
        &["returned 0 dataset batches, the manifest declares 1"],
    );
}

#[test]
fn unknown_option_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path());
    let run = rechost([
        "run",
        &path_arg(&guests().misbehave),
        "--input",
        &path_arg(&input),
        "--out",
        &path_arg(&dir.path().join("out")),
        "--option",
        "colour=blue",
    ]);
    run.assert_failed_with(1, &["unknown option `colour`", "mode"]);
    assert!(!dir.path().join("out").exists() || snapshot(&dir.path().join("out")).is_empty());
}

#[test]
fn interrupt_stops_the_run_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    // 1000 one-row batches at tens of milliseconds each: the run lasts far longer than it
    // takes to interrupt it, so the interrupt lands mid-run (and the exit code proves it).
    let input = write_rows(dir.path(), 1000);
    let out = dir.path().join("out");
    run_mode(&input, &out, "ok", &[]).assert_ok();
    let before = snapshot(&out);
    // A slow plugin over many small batches: SIGTERM arrives mid-run; the run stops after the
    // current batch and removes what it had started writing.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rechost"))
        .args([
            "run",
            &path_arg(&guests().misbehave),
            "--input",
            &path_arg(&input),
            "--out",
            &path_arg(&out),
        ])
        .args([
            "--start-date",
            "2024-03-01",
            "--end-date",
            "2024-03-31",
            "--option",
            "mode=slow",
            "--quiet",
        ])
        .args(["--batch-rows", "1", "--workers", "1"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run has started writing (its temporary files exist), then interrupt.
    let started = std::time::Instant::now();
    while !std::fs::read_dir(out.join("out"))
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp"))
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "run never started writing"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run finished before it could be interrupted"
        );
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // 130 only comes from a run that saw the interrupt between batches (a finished run
    // exits 0), so this is the proof it was interrupted mid-run.
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(
        snapshot(&out),
        before,
        "interrupted run changed the output or left temporary files"
    );
}
