//! Entity datasets spilled to disk under a tiny `--memory-budget` are byte-identical to the
//! default (in-memory) run, and the spilled runs are gone after success and after failure.

use std::path::{Path, PathBuf};

use crate::harness::*;

const USERS: &str = "snowplow_recommendations_ecommerce_users";
const ITEMS: &str = "snowplow_recommendations_ecommerce_items";

/// `rechost run` of the ecommerce plugin over `input` in 500-row batches, JSON summary.
fn run_args(input: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let (plugin, input, out) = (
        path_arg(&guests().ecommerce),
        path_arg(input),
        path_arg(out),
    );
    let args = ["run", &plugin, "--input", &input, "--out", &out, "--json"];
    let args = args
        .into_iter()
        .chain(["--batch-rows", "500"])
        .chain(SAMPLE_WINDOW);
    args.chain(extra.iter().copied())
        .map(String::from)
        .collect()
}

/// [`run_args`] run with the temporary folder `tmp`.
fn run(input: &Path, out: &Path, tmp: &Path, extra: &[&str]) -> Run {
    rechost_with_env(run_args(input, out, extra), [("TMPDIR", tmp)])
}

/// A work folder holding `rows` ecommerce sample rows (`in.parquet`) and an empty `tmp/` for
/// the run's `TMPDIR`.
fn sampled_work_dir(rows: u64) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (input, tmp) = (dir.path().join("in.parquet"), dir.path().join("tmp"));
    std::fs::create_dir(&tmp).unwrap();
    sample("ecommerce", rows, &input);
    (dir, input, tmp)
}

fn spilled_runs(summary: &serde_json::Value, dataset: &str) -> u64 {
    let datasets = summary["datasets"].as_array().unwrap();
    let entry = datasets.iter().find(|d| d["name"] == dataset).unwrap();
    entry.get("spilled_runs").map_or(0, |n| n.as_u64().unwrap())
}

fn left_in(tmp: &Path) -> Vec<String> {
    (std::fs::read_dir(tmp).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_tiny_memory_budget_spills_and_writes_identical_datasets() {
    let (dir, input, tmp) = sampled_work_dir(30_000);

    let in_memory = dir.path().join("in-memory");
    let summary = run(&input, &in_memory, &tmp, &[]).assert_ok().json();
    assert_eq!(
        spilled_runs(&summary, USERS),
        0,
        "the default budget holds 30k rows"
    );

    let spilled = dir.path().join("spilled");
    let summary = run(&input, &spilled, &tmp, &["--memory-budget", "16KiB"])
        .assert_ok()
        .json();
    for dataset in [USERS, ITEMS] {
        let runs = spilled_runs(&summary, dataset);
        assert!(
            runs > 32,
            "{dataset}: {runs} runs; more than one merge pass is tested"
        );
    }
    let (want, got) = (snapshot(&in_memory), snapshot(&spilled));
    assert_eq!(
        got.iter().map(|f| &f.0).collect::<Vec<_>>(),
        want.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, got), (_, want)) in got.iter().zip(&want) {
        assert!(
            got == want,
            "{name} differs between the spilled and the in-memory run"
        );
    }
    assert_eq!(
        left_in(&tmp),
        Vec::<String>::new(),
        "spilled runs left behind"
    );
}

#[test]
fn spilled_runs_are_removed_when_the_run_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, tmp) = (dir.path().join("in"), dir.path().join("tmp"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir(&tmp).unwrap();
    sample("ecommerce", 5_000, &folder.join("a.csv"));
    let budget = ["--memory-budget", "4KiB"];
    // a.csv alone spills under this budget; b.csv, read after it, fails on its first row.
    let summary = run(&folder, &dir.path().join("ok"), &tmp, &budget)
        .assert_ok()
        .json();
    assert!(spilled_runs(&summary, USERS) > 0);
    let sampled = std::fs::read_to_string(folder.join("a.csv")).unwrap();
    let header = sampled.lines().next().unwrap();
    // Empty fields are NULLs, valid in every column; the time is not.
    let bad: Vec<&str> = (header.split(','))
        .map(|c| {
            if c == "derived_tstamp" {
                "not a time"
            } else {
                ""
            }
        })
        .collect();
    std::fs::write(
        folder.join("b.csv"),
        format!("{header}\n{}\n", bad.join(",")),
    )
    .unwrap();

    run(&folder, &dir.path().join("failed"), &tmp, &budget)
        .assert_failed_with(1, &["b.csv", "row 1", "derived_tstamp"]);
    assert_eq!(
        left_in(&tmp),
        Vec::<String>::new(),
        "spilled runs left behind"
    );
}

#[test]
fn a_killed_runs_spilled_runs_are_removed_by_the_next_run_that_spills() {
    let (dir, input, tmp) = sampled_work_dir(200_000);
    let killed_out = dir.path().join("killed");
    let budget = ["--workers", "1", "--memory-budget", "16KiB"];
    let mut killed = std::process::Command::new(env!("CARGO_BIN_EXE_rechost"))
        .args(run_args(&input, &killed_out, &budget))
        .env("TMPDIR", &tmp)
        .env("RECHOST_CACHE_DIR", cache_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    // Both kinds of spilled data (kept rows, readiness's id counts) once well under way.
    let spilled = |prefix: &str| left_in(&tmp).iter().any(|name| name.starts_with(prefix));
    while !(spilled("rechost-spill-") && spilled("rechost-ids-")) {
        assert!(killed.try_wait().unwrap().is_none(), "the run ended first");
        assert!(started.elapsed().as_secs() < 60, "the run never spilled");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    killed.kill().unwrap(); // SIGKILL: no chance to clean up
    killed.wait().unwrap();
    assert!(spilled("rechost-spill-") && spilled("rechost-ids-"));

    let small = dir.path().join("small.parquet");
    sample("ecommerce", 5_000, &small);
    run(
        &small,
        &dir.path().join("next"),
        &tmp,
        &["--memory-budget", "4KiB"],
    )
    .assert_ok();
    assert_eq!(
        left_in(&tmp),
        Vec::<String>::new(),
        "the killed run's spilled runs remain"
    );
}
