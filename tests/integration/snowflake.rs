//! `--source snowflake` against a real Snowflake protocol server (fakesnow with credentials
//! checked): the same datasets as a local run on the same rows, clear one-line errors, and the
//! generated SQL.

use crate::fakesnow::{ECOMMERCE_COLUMNS, fakesnow};
use crate::harness::*;

const FIXTURE: &str = "snowplow_ecommerce_product_interactions.csv";
const FIXTURE_WINDOW: [&str; 4] = ["--start-date", "2022-01-01", "--end-date", "2022-12-31"];

/// `rechost run ecommerce.wasm --source snowflake` with `SNOWFLAKE_HOME` set to `home`.
fn run_from_snowflake(
    home: &std::path::Path,
    out: &std::path::Path,
    extra: &[&str],
    env: Vec<(&str, String)>,
) -> Run {
    let args = [
        "run",
        &path_arg(&guests().ecommerce),
        "--source",
        "snowflake",
        "--out",
        &path_arg(out),
        "--quiet",
    ];
    let mut env = env;
    env.push(("SNOWFLAKE_HOME", path_arg(home)));
    rechost_with_env(
        args.iter()
            .copied()
            .chain(FIXTURE_WINDOW)
            .chain(extra.iter().copied()),
        env,
    )
}

#[track_caller]
fn assert_one_line(run: &Run) {
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "expected one error line, got:\n{}",
        run.stderr
    );
}

#[test]
fn snowflake_source_matches_the_local_run() {
    let Some(fixture) = shared_fixture(FIXTURE) else {
        return;
    };
    let server = fakesnow();
    let loaded = server.load(
        "SNOWPLOW.DERIVED.SNOWPLOW_ECOMMERCE_PRODUCT_INTERACTIONS",
        ECOMMERCE_COLUMNS,
        &fixture,
    );
    assert_eq!(loaded, 928);
    let home = server.snowflake_home("snowplow", "snowplow", "derived", &server.password);

    let from_snowflake = tempfile::tempdir().unwrap();
    run_from_snowflake(home.path(), from_snowflake.path(), &[], vec![]).assert_ok();

    let local = tempfile::tempdir().unwrap();
    rechost(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            &path_arg(&fixture),
            "--out",
            &path_arg(local.path()),
            "--quiet",
        ]
        .into_iter()
        .chain(FIXTURE_WINDOW),
    )
    .assert_ok();

    let (got, want) = (snapshot(from_snowflake.path()), snapshot(local.path()));
    let names = |s: &[(String, Vec<u8>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want));
    assert_eq!(
        got.len(),
        11,
        "3 datasets x (csv, parquet, avsc) + readiness (JSON and HTML)"
    );
    for ((name, got), (_, want)) in got.iter().zip(&want) {
        if name.ends_with(".csv") {
            assert_same_rows(
                &read_csv(&from_snowflake.path().join(name)),
                &read_csv(&local.path().join(name)),
            );
        }
        assert!(got == want, "{name} differs from the local run");
    }
    let interactions = read_csv(
        &from_snowflake
            .path()
            .join("snowplow_recommendations_ecommerce_interactions/personalize-dataset.csv"),
    );
    assert_eq!(
        interactions.len(),
        1 + 395,
        "the fixture has 395 interactions"
    );
}

#[test]
fn key_pair_login_and_a_table_named_on_the_command_line() {
    let Some(fixture) = shared_fixture(FIXTURE) else {
        return;
    };
    let server = fakesnow();
    server.load("KEYPAIR_DB.RAW.EVENTS", ECOMMERCE_COLUMNS, &fixture);
    // No connections.toml: everything from SNOWFLAKE_* variables, as in CI jobs.
    let home = tempfile::tempdir().unwrap();
    let key_env = |user: &str| {
        vec![
            ("SNOWFLAKE_ACCOUNT", server.account.clone()),
            ("SNOWFLAKE_USER", user.to_string()),
            ("SNOWFLAKE_AUTHENTICATOR", "SNOWFLAKE_JWT".into()),
            (
                "SNOWFLAKE_PRIVATE_KEY_FILE",
                path_arg(&server.private_key_file),
            ),
            ("SNOWFLAKE_HOST", server.host.clone()),
            ("SNOWFLAKE_PORT", server.port.to_string()),
            ("SNOWFLAKE_PROTOCOL", "http".into()),
            ("SNOWFLAKE_DATABASE", "keypair_db".into()),
        ]
    };
    let out = tempfile::tempdir().unwrap();
    let table = ["--table", "raw.events", "--json"];
    let run = run_from_snowflake(home.path(), out.path(), &table, key_env(&server.key_user));
    run.assert_ok();
    let summary = run.json();
    assert_eq!(summary["source"], "snowflake:raw.events");
    assert_eq!(summary["rows_read"], 928);
    assert_eq!(summary["readiness"]["interactions"]["interactions"], 395);

    // The same key for another user: the server rejects the token.
    let out = tempfile::tempdir().unwrap();
    let run = run_from_snowflake(home.path(), out.path(), &table, key_env(&server.user));
    run.assert_failed_with(1, &["Snowflake login failed", "JWT token is invalid"]);
    assert_one_line(&run);
}

#[test]
fn wrong_password_fails_with_one_clear_line() {
    let server = fakesnow();
    let home = server.snowflake_home("snowplow", "snowplow", "derived", "not-the-password");
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("keep.txt"), "previous output").unwrap();
    let run = run_from_snowflake(home.path(), out.path(), &[], vec![]);
    run.assert_failed_with(
        1,
        &[
            "Snowflake login failed for user",
            "Incorrect username or password was specified. (390100)",
            "left unchanged",
        ],
    );
    assert_one_line(&run);
    assert!(!run.stderr.contains("not-the-password"), "{}", run.stderr);
    assert_eq!(snapshot(out.path()).len(), 1, "nothing written");
}

#[test]
fn unknown_table_and_missing_column_fail_with_one_clear_line() {
    let server = fakesnow();
    let home = server.snowflake_home("snowplow", "snowplow", "derived", &server.password);
    let out = tempfile::tempdir().unwrap();
    let run = run_from_snowflake(
        home.path(),
        out.path(),
        &["--table", "snowplow.derived.no_such_table"],
        vec![],
    );
    run.assert_failed_with(
        1,
        &["Snowflake query failed", "no_such_table", "does not exist"],
    );
    assert_one_line(&run);

    // A table without product_category: the warehouse names the column.
    let Some(fixture) = shared_fixture(FIXTURE) else {
        return;
    };
    let without_category: Vec<_> = ECOMMERCE_COLUMNS
        .iter()
        .copied()
        .filter(|(name, _)| *name != "product_category")
        .collect();
    server.load("SNOWPLOW.DERIVED.NO_CATEGORY", &without_category, &fixture);
    let run = run_from_snowflake(
        home.path(),
        out.path(),
        &["--table", "snowplow.derived.no_category"],
        vec![],
    );
    run.assert_failed_with(1, &["Snowflake query failed", "no_category"]);
    assert!(
        run.stderr.to_lowercase().contains("product_category"),
        "the missing column is not named:\n{}",
        run.stderr
    );
    assert_one_line(&run);
}

#[test]
fn suspended_warehouse_fails_with_one_clear_line() {
    let server = fakesnow();
    let home = server.snowflake_home("snowplow", "snowplow", "derived", &server.password);
    let out = tempfile::tempdir().unwrap();
    let env = vec![("SNOWFLAKE_WAREHOUSE", "suspended_wh".to_string())];
    let run = run_from_snowflake(home.path(), out.path(), &[], env);
    run.assert_failed_with(
        1,
        &[
            "Snowflake query failed (000606)",
            "No active warehouse",
            "SNOWFLAKE_WAREHOUSE",
        ],
    );
    assert_one_line(&run);
}

#[test]
fn unreachable_endpoint_fails_with_one_clear_line() {
    let server = fakesnow();
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let env = vec![
        ("SNOWFLAKE_ACCOUNT", server.account.clone()),
        ("SNOWFLAKE_USER", server.user.clone()),
        ("SNOWFLAKE_PASSWORD", server.password.clone()),
        ("SNOWFLAKE_HOST", "127.0.0.1".into()),
        ("SNOWFLAKE_PORT", closed_port.to_string()),
        ("SNOWFLAKE_PROTOCOL", "http".into()),
    ];
    let run = run_from_snowflake(home.path(), out.path(), &[], env);
    run.assert_failed_with(
        1,
        &[&format!(
            "cannot reach Snowflake at http://127.0.0.1:{closed_port}"
        )],
    );
    assert_one_line(&run);
}

#[test]
fn dry_run_prints_the_generated_sql_without_connecting() {
    let run = rechost(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--source",
            "snowflake",
            "--dry-run",
            "--table",
            "analytics.\"Derived\".snowplow_ecommerce_product_interactions",
        ]
        .into_iter()
        .chain(FIXTURE_WINDOW),
    );
    run.assert_ok();
    let sql = &run.stdout;
    assert!(
        sql.contains("FROM analytics.\"Derived\".snowplow_ecommerce_product_interactions"),
        "{sql}"
    );
    for column in ECOMMERCE_COLUMNS {
        assert!(
            sql.contains(&format!("    {},", column.0))
                || sql.contains(&format!("    {}\n", column.0)),
            "{} missing:\n{sql}",
            column.0
        );
    }
    assert!(
        sql.contains("derived_tstamp >= '2022-01-01'::TIMESTAMP_NTZ"),
        "{sql}"
    );
    assert!(
        sql.contains("derived_tstamp < '2023-01-01'::TIMESTAMP_NTZ"),
        "{sql}"
    );

    // A table name cannot smuggle SQL in.
    let run = rechost([
        "run",
        &path_arg(&guests().ecommerce),
        "--source",
        "snowflake",
        "--dry-run",
        "--table",
        "events; DROP TABLE users",
    ]);
    run.assert_failed_with(1, &["not a valid SQL identifier"]);
}
