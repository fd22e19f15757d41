//! Runs over `rechost sample` data: formats agree, windows cut, folders and globs read,
//! entity datasets hold one row per key.

use arrow_array::cast::AsArray;
use std::collections::HashSet;

use crate::harness::*;

const INTERACTIONS: &str = "snowplow_recommendations_ecommerce_interactions";
const USERS: &str = "snowplow_recommendations_ecommerce_users";
const ITEMS: &str = "snowplow_recommendations_ecommerce_items";

fn run_ecommerce(input: &std::path::Path, out: &std::path::Path, window: &[&str]) -> Run {
    let run = run_ecommerce_json(input, out, window);
    run.assert_ok();
    run
}

#[test]
fn sample_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.parquet", "b.parquet", "a.csv", "b.csv"] {
        sample("ecommerce", 3_000, &dir.path().join(name));
    }
    let read = |n: &str| std::fs::read(dir.path().join(n)).unwrap();
    assert_eq!(read("a.parquet"), read("b.parquet"));
    assert_eq!(read("a.csv"), read("b.csv"));
}

#[test]
fn parquet_and_csv_inputs_give_identical_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let (parquet, csv) = (dir.path().join("in.parquet"), dir.path().join("in.csv"));
    sample("ecommerce", 20_000, &parquet);
    sample("ecommerce", 20_000, &csv);
    run_ecommerce(&parquet, &dir.path().join("from-parquet"), &SAMPLE_WINDOW);
    run_ecommerce(&csv, &dir.path().join("from-csv"), &SAMPLE_WINDOW);
    for dataset in [INTERACTIONS, USERS, ITEMS] {
        for file in [
            "personalize-dataset.csv",
            "personalize-dataset.parquet",
            "schema.avsc",
        ] {
            let a =
                std::fs::read(dir.path().join("from-parquet").join(dataset).join(file)).unwrap();
            let b = std::fs::read(dir.path().join("from-csv").join(dataset).join(file)).unwrap();
            assert!(
                a == b,
                "{dataset}/{file} differs between Parquet and CSV input"
            );
        }
    }
}

#[test]
fn entity_datasets_have_one_row_per_key_and_enough_data_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 40_000, &input);
    let out = dir.path().join("out");
    let summary = run_ecommerce(&input, &out, &SAMPLE_WINDOW).json();
    for (dataset, key) in [(USERS, "USER_ID"), (ITEMS, "ITEM_ID")] {
        let rows = read_csv(&out.join(dataset).join("personalize-dataset.csv"));
        assert_eq!(rows[0][0], key);
        let keys: Vec<&String> = rows[1..].iter().map(|r| &r[0]).collect();
        let unique: HashSet<&&String> = keys.iter().collect();
        assert_eq!(keys.len(), unique.len(), "{dataset} repeats a key");
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{dataset} is sorted by key");
    }
    // Every interaction user appears in the users dataset and vice versa.
    let interactions = read_csv(&out.join(INTERACTIONS).join("personalize-dataset.csv"));
    let users: HashSet<String> = read_csv(&out.join(USERS).join("personalize-dataset.csv"))[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    let interaction_users: HashSet<String> =
        interactions[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(users, interaction_users);
    assert_eq!(
        summary["readiness"]["ready"], true,
        "{}",
        summary["readiness"]
    );
    // Categories with separators are written with `|`.
    let items = read_csv(&out.join(ITEMS).join("personalize-dataset.csv"));
    assert!(items[1..].iter().any(|r| r[2].contains('|')));
    assert!(items[1..].iter().all(|r| !r[2].contains('/')));
}

#[test]
fn window_limits_rows_and_require_ready_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 5_000, &input);
    let out = dir.path().join("out");
    let summary = run_ecommerce(
        &input,
        &out,
        &["--start-date", "2024-03-05", "--end-date", "2024-03-06"],
    )
    .json();
    let outside = summary["rows_outside_window"].as_u64().unwrap();
    assert!(outside > 0 && outside < 5_000, "outside: {outside}");
    let (lo, hi) = (1_709_596_800i64, 1_709_769_600i64); // 2024-03-05T00:00Z, 2024-03-07T00:00Z
    let rows = read_parquet(&out.join(INTERACTIONS).join("personalize-dataset.parquet"));
    for batch in &rows {
        let times = batch
            .column(2)
            .as_primitive::<arrow_array::types::Int64Type>();
        assert!(times.values().iter().all(|t| (lo..hi).contains(t)));
    }
    // 5,000 rows over two days are far below Personalize's minimum.
    let strict = rechost(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            &path_arg(&input),
            "--out",
            &path_arg(&out),
            "--require-ready",
            "--quiet",
        ]
        .into_iter()
        .chain(["--start-date", "2024-03-05", "--end-date", "2024-03-06"]),
    );
    assert_eq!(strict.code, Some(3), "{}", strict.stderr);
}

#[test]
fn folders_and_globs_read_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("export");
    std::fs::create_dir_all(folder.join("part=2")).unwrap();
    sample("ecommerce", 1_000, &folder.join("part-0.parquet"));
    sample("ecommerce", 700, &folder.join("part=2/part-1.parquet"));
    std::fs::write(folder.join("_SUCCESS"), b"").unwrap();
    // Job leftovers in `_`-prefixed folders are not data.
    std::fs::create_dir_all(folder.join("_temporary/0")).unwrap();
    sample(
        "ecommerce",
        300,
        &folder.join("_temporary/0/part-9.parquet"),
    );
    let from_folder = run_ecommerce(&folder, &dir.path().join("a"), &SAMPLE_WINDOW).json();
    assert_eq!(from_folder["rows_read"], 1_700);
    assert_eq!(from_folder["input_files"], 2);
    let glob = format!("{}/*.parquet", path_arg(&folder));
    let from_glob = rechost(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            &glob,
            "--out",
            &path_arg(&dir.path().join("b")),
            "--json",
        ]
        .into_iter()
        .chain(SAMPLE_WINDOW),
    );
    from_glob.assert_ok();
    assert_eq!(from_glob.json()["rows_read"], 1_000);
}

#[test]
fn output_does_not_depend_on_the_number_of_workers() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 30_000, &input);
    let outputs: Vec<_> = ["1", "3"]
        .iter()
        .map(|workers| {
            let out = dir.path().join(format!("out-{workers}"));
            let window = ["--workers", workers, "--batch-rows", "4096"]
                .into_iter()
                .chain(SAMPLE_WINDOW)
                .collect::<Vec<_>>();
            run_ecommerce(&input, &out, &window);
            snapshot(&out)
        })
        .collect();
    assert!(
        outputs[0].len() == 11 && outputs[0] == outputs[1],
        "outputs differ between 1 and 3 workers"
    );
}

#[test]
fn same_rows_as_duckdb_running_the_seed_sql() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 50_000, &input);
    let out = dir.path().join("rechost");
    run_ecommerce(&input, &out, &SAMPLE_WINDOW);
    let seed = dir.path().join("duckdb");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/duckdb_seed.py");
    let status = std::process::Command::new("python3")
        .arg(script)
        .args([
            path_arg(&input),
            path_arg(&seed),
            SAMPLE_WINDOW[1].into(),
            SAMPLE_WINDOW[3].into(),
            "2".into(),
        ])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "DuckDB failed (pip install -r tests/requirements.txt)"
    );
    for (ours, theirs) in [
        (INTERACTIONS, "interactions"),
        (USERS, "users"),
        (ITEMS, "items"),
    ] {
        let mut a = read_csv(&out.join(ours).join("personalize-dataset.csv"));
        let mut b = read_csv(&seed.join(theirs).join("personalize-dataset.csv"));
        assert_eq!(a[0], b[0], "{ours} header");
        a.sort();
        b.sort();
        assert!(a.len() > 1, "{ours} is empty");
        assert_same_rows(&a, &b);
    }
}
