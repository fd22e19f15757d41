//! `rechost run --source databricks` against the local Databricks SQL warehouse
//! (`tests/databricks/server.py`: the real Statement Execution API over Spark): the same
//! datasets as a local run on the same rows, one-line errors that leave `--out` untouched, and
//! the printed source query.

use crate::databricks_server::*;
use crate::harness::*;

const FIXTURE_WINDOW: [&str; 4] = ["--start-date", "2022-01-01", "--end-date", "2022-12-31"];

/// `rechost run PLUGIN --source databricks` on `warehouse` into `out`.
fn run_from_databricks(
    server: &Server,
    warehouse: &str,
    plugin: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
    env: Vec<(&'static str, String)>,
) -> Run {
    let mut all = server.env(warehouse);
    all.extend(env);
    let args = [
        "run",
        &path_arg(plugin),
        "--source",
        "databricks",
        "--out",
        &path_arg(out),
        "--quiet",
    ];
    rechost_with_env(args.iter().copied().chain(extra.iter().copied()), all)
}

/// Every file of both outputs is byte-identical (CSV rows compared first for a readable diff).
#[track_caller]
fn assert_same_output(got: &std::path::Path, want: &std::path::Path, files: usize) {
    let (got_files, want_files) = (snapshot(got), snapshot(want));
    let names = |s: &[(String, Vec<u8>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got_files), names(&want_files));
    assert_eq!(got_files.len(), files, "{:?}", names(&got_files));
    for ((name, got_bytes), (_, want_bytes)) in got_files.iter().zip(&want_files) {
        if name.ends_with(".csv") {
            assert_same_rows(&read_csv(&got.join(name)), &read_csv(&want.join(name)));
        }
        assert!(got_bytes == want_bytes, "{name} differs from the local run");
    }
}

#[track_caller]
fn assert_one_line_and_nothing_written(run: &Run, out: &std::path::Path, needles: &[&str]) {
    run.assert_failed_with(1, needles);
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "expected one error line, got:\n{}",
        run.stderr
    );
    assert!(
        snapshot(out).is_empty(),
        "{} holds files after a failed run",
        out.display()
    );
}

#[test]
fn databricks_source_equals_the_local_run_on_the_fixture() {
    let Some(server) = databricks() else { return };
    let Some(fixture) = server.fixture.clone() else {
        eprintln!("SKIPPED: the shared fixture is missing");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (remote, local) = (dir.path().join("databricks"), dir.path().join("local"));
    // The plugin's own table, in the catalog and schema of the connection.
    run_from_databricks(
        server,
        RUNNING,
        &guests().ecommerce,
        &remote,
        &FIXTURE_WINDOW,
        vec![
            ("DATABRICKS_CATALOG", "main".into()),
            ("DATABRICKS_SCHEMA", "snowplow".into()),
        ],
    )
    .assert_ok();
    run_locally(&guests().ecommerce, &fixture, &local, &FIXTURE_WINDOW).assert_ok();
    assert_same_output(&remote, &local, 11);
    let interactions = read_csv(
        &remote.join("snowplow_recommendations_ecommerce_interactions/personalize-dataset.csv"),
    );
    assert_eq!(
        interactions.len(),
        1 + 395,
        "the fixture has 395 interactions"
    );
}

#[test]
fn databricks_source_equals_the_local_run_on_sample_rows_for_both_plugins() {
    let Some(server) = databricks() else { return };
    for (plugin, table, file) in [
        (&guests().ecommerce, SAMPLE_TABLE, &server.sample),
        (&guests().media, SAMPLE_MEDIA_TABLE, &server.sample_media),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (remote, local) = (dir.path().join("databricks"), dir.path().join("local"));
        let extra: Vec<&str> = SAMPLE_WINDOW
            .iter()
            .copied()
            .chain(["--table", table])
            .collect();
        run_from_databricks(server, RUNNING, plugin, &remote, &extra, vec![]).assert_ok();
        run_locally(plugin, file, &local, &SAMPLE_WINDOW).assert_ok();
        let files = snapshot(&local).len();
        assert!(files >= 4, "{table}: the local run wrote {files} files");
        assert_same_output(&remote, &local, files);
    }
}

#[test]
fn a_starting_warehouse_is_waited_for() {
    let Some(server) = databricks() else { return };
    let dir = tempfile::tempdir().unwrap();
    let extra: Vec<&str> = SAMPLE_WINDOW
        .iter()
        .copied()
        .chain(["--table", SAMPLE_TABLE])
        .collect();
    let out = dir.path().join("out");
    run_from_databricks(server, SLOW, &guests().ecommerce, &out, &extra, vec![]).assert_ok();
    assert!(!snapshot(&out).is_empty());
}

#[test]
fn wrong_token_unknown_table_and_stopped_warehouse_fail_in_one_line() {
    let Some(server) = databricks() else { return };
    let dir = tempfile::tempdir().unwrap();
    let table = ["--table", SAMPLE_TABLE];
    let extra: Vec<&str> = SAMPLE_WINDOW.iter().copied().chain(table).collect();

    let out = dir.path().join("wrong-token");
    let run = run_from_databricks(
        server,
        RUNNING,
        &guests().ecommerce,
        &out,
        &extra,
        vec![("DATABRICKS_TOKEN", "dapi-not-the-token".into())],
    );
    assert_one_line_and_nothing_written(&run, &out, &["authentication failed", &server.host]);
    assert!(!run.stderr.contains("dapi-not-the-token"), "{}", run.stderr);

    let out = dir.path().join("unknown-table");
    let missing: Vec<&str> = SAMPLE_WINDOW
        .iter()
        .copied()
        .chain(["--table", "main.snowplow.no_such_events"])
        .collect();
    let run = run_from_databricks(server, RUNNING, &guests().ecommerce, &out, &missing, vec![]);
    assert_one_line_and_nothing_written(&run, &out, &["table not found", "no_such_events"]);

    let out = dir.path().join("stopped");
    let run = run_from_databricks(server, STOPPED, &guests().ecommerce, &out, &extra, vec![]);
    assert_one_line_and_nothing_written(&run, &out, &[STOPPED, "STOPPED"]);
}

#[test]
fn dry_run_prints_the_databricks_source_query_without_connecting() {
    let run = rechost_with_env(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--source",
            "databricks",
            "--dry-run",
            "--table",
            "main.snowplow.events",
        ]
        .into_iter()
        .map(str::to_string)
        .chain(FIXTURE_WINDOW.iter().map(|s| s.to_string())),
        // Nothing listens there: the query is printed without a connection.
        [
            ("DATABRICKS_HOST", "http://127.0.0.1:9"),
            ("DATABRICKS_TOKEN", "x"),
        ],
    );
    run.assert_ok();
    let sql = &run.stdout;
    assert!(sql.contains("FROM main.snowplow.events"), "{sql}");
    assert!(sql.contains("2022-01-01"), "{sql}");
    assert!(sql.contains("2023-01-01"), "{sql}");
    assert!(
        !sql.contains("TIMESTAMP_NTZ"),
        "Snowflake's cast in Databricks SQL:\n{sql}"
    );
}

#[test]
fn failing_pushdown_runs_fail_in_one_line_and_leave_nothing_at_out() {
    let Some(server) = databricks() else { return };
    let dir = tempfile::tempdir().unwrap();
    let wrong_token = || vec![("DATABRICKS_TOKEN", "dapi-not-the-token".to_string())];
    // (case, warehouse, table, extra environment, what the error names)
    let cases = [
        (
            "wrong-token",
            RUNNING,
            SAMPLE_TABLE,
            wrong_token(),
            &["authentication failed"][..],
        ),
        (
            "unknown-table",
            RUNNING,
            "main.snowplow.no_such_events",
            vec![],
            &["no_such_events", "in-warehouse run"],
        ),
        (
            "stopped",
            STOPPED,
            SAMPLE_TABLE,
            vec![],
            &[STOPPED, "STOPPED"],
        ),
    ];
    for (name, warehouse, table, env, needles) in cases {
        let out = dir.path().join(name);
        std::fs::create_dir_all(out.join("kept")).unwrap();
        std::fs::write(out.join("kept/before.csv"), "there before the run").unwrap();
        let args: Vec<&str> = ["--pushdown", "--udf-schema", "main.recs", "--table", table]
            .into_iter()
            .chain(SAMPLE_WINDOW)
            .collect();
        let run = run_from_databricks(server, warehouse, &guests().ecommerce, &out, &args, env);
        run.assert_failed_with(1, needles);
        assert_eq!(
            run.stderr.trim_end().lines().count(),
            1,
            "{name}:\n{}",
            run.stderr
        );
        let left: Vec<String> = snapshot(&out).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            left,
            ["kept/before.csv"],
            "{name}: the failed run changed --out"
        );
    }
}
