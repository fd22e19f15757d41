//! One run at a time per output folder; what a killed run leaves behind is swept; a run that
//! would replace good datasets with empty ones is refused.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::*;

fn rows_csv(dir: &Path, rows: usize) -> std::path::PathBuf {
    misbehave_events(dir, rows)
}

/// A misbehave run of one-row batches on one worker (slow modes last long enough to race).
fn one_row_batches(input: &Path, out: &Path, mode: &str) -> Vec<String> {
    let extra = ["--quiet", "--batch-rows", "1", "--workers", "1"];
    misbehave_args(input, out, mode, &extra)
}

/// A slow run of 1000 one-row batches, started in the background, once it has begun writing.
fn start_slow_run(input: &Path, out: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rechost"))
        .args(one_row_batches(input, out, "slow"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let writing = || {
        std::fs::read_dir(out.join("out"))
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            })
            .unwrap_or(false)
    };
    while !writing() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the slow run ended early"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the slow run never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn a_second_run_into_the_same_folder_fails_at_once_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let input = rows_csv(dir.path(), 1000);
    let out = dir.path().join("out");
    let mut first = start_slow_run(&input, &out);
    let began = Instant::now();
    let second = rechost(one_row_batches(&input, &out, "ok"));
    let waited = began.elapsed();
    second.assert_failed_with(
        1,
        &[
            "is being written by another rechost run",
            &format!("pid {}", first.id()),
        ],
    );
    assert!(
        waited < Duration::from_secs(30),
        "the second run waited instead of failing"
    );
    first.kill().unwrap();
    first.wait().unwrap();
}

#[test]
fn a_killed_runs_leftovers_are_swept_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = rows_csv(dir.path(), 1000);
    let out = dir.path().join("out");
    let mut first = start_slow_run(&input, &out);
    // SIGKILL: no chance to clean up.
    first.kill().unwrap();
    first.wait().unwrap();
    let leftovers = |out: &Path| -> usize {
        [out.to_path_buf(), out.join("out")]
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flat_map(|e| e.flatten())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count()
    };
    assert!(leftovers(&out) > 0, "the killed run left nothing to sweep");
    let small = rows_csv(&dir.path().join("small"), 20);
    rechost(one_row_batches(&small, &out, "ok")).assert_ok();
    assert_eq!(
        leftovers(&out),
        0,
        "temporary files of the killed run remain"
    );
    let rows = read_csv(&out.join("out/personalize-dataset.csv"));
    assert_eq!(rows.len(), 21);
}

#[test]
fn concurrent_runs_never_mix_their_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let inputs: Vec<_> = (0..4)
        .map(|i| rows_csv(&dir.path().join(format!("in{i}")), 200 + 37 * i))
        .collect();
    let children: Vec<Child> = inputs
        .iter()
        .map(|input| {
            let args = misbehave_args(input, &out, "ok", &["--quiet"]);
            Command::new(env!("CARGO_BIN_EXE_rechost"))
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let succeeded = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .filter(|o| o.status.success())
        .count();
    assert!(succeeded >= 1);
    // Whatever won, the CSV, the Parquet and the report describe the same rows.
    let csv_rows = read_csv(&out.join("out/personalize-dataset.csv")).len() - 1;
    let parquet_rows: usize = read_parquet(&out.join("out/personalize-dataset.parquet"))
        .iter()
        .map(|b| b.num_rows())
        .sum();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("readiness-test.json")).unwrap()).unwrap();
    assert_eq!(csv_rows, parquet_rows);
    assert_eq!(report["datasets"][0]["rows"], csv_rows as u64);
}

#[test]
fn a_header_only_input_keeps_the_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    rechost(one_row_batches(&rows_csv(dir.path(), 30), &out, "ok")).assert_ok();
    assert!(
        !out.join(".rechost.lock").exists(),
        "a finished run leaves its lock file"
    );
    let good = snapshot(&out);
    let empty = rows_csv(&dir.path().join("empty"), 0);
    rechost(one_row_batches(&empty, &out, "ok")).assert_failed_with(
        1,
        &["nothing to write: the input has no rows", "left unchanged"],
    );
    assert_eq!(snapshot(&out), good);
}
