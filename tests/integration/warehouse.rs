//! `rechost register` and `run --pushdown --dry-run`: the warehouse SQL for both plugins and
//! both warehouses, checked against golden files (`tests/golden/`, rewritten with
//! `REGENERATE_GOLDEN=1`), with every inlined handler parsed as Python and the Snowflake
//! scripts parsed by a real SQL parser (sqlglot). Spark runs the Databricks SQL in
//! `tests/python`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Stable text: build-specific parts (plugin digest, its path, the handler module that is
/// inlined verbatim) become placeholders.
fn normalized(sql: &str, plugin: &Path, warehouse: &str) -> String {
    let handler =
        std::fs::read_to_string(repo().join(format!("sql/{warehouse}/handler.py"))).unwrap();
    let mut text = sql.replace(handler.trim_end(), &format!("<sql/{warehouse}/handler.py>"));
    text = text.replace(&path_arg(plugin), "<plugin.wasm>");
    let digest = |len: usize| {
        let bytes = std::fs::read(plugin).unwrap();
        let hex = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
        hex[..len].to_string()
    };
    text.replace(&digest(64), "<sha256>")
        .replace(&digest(16), "<sha256-16>")
}

#[track_caller]
fn assert_golden(name: &str, text: &str) {
    let path = repo().join("tests/golden").join(name);
    if std::env::var_os("REGENERATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (REGENERATE_GOLDEN=1 writes it)", path.display()));
    if text != want {
        let line = text
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(text.lines().count().min(want.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n  got:  {:?}\n  want: {:?}\n(REGENERATE_GOLDEN=1 rewrites it after review)",
            line + 1,
            text.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

/// Runs a Python snippet with `input` on stdin; returns stdout, failing on a non-zero exit.
fn python(code: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every `$$ ... $$` body of a script, checked to be valid Python defining `Handler`: one per
/// dataset naming it, then the all-datasets one.
fn check_handler_bodies(sql: &str, datasets: &[&str]) {
    let bodies: Vec<&str> = sql.split("$$").skip(1).step_by(2).collect();
    assert_eq!(
        bodies.len(),
        datasets.len() + 1,
        "one function body per dataset, and one for all of them"
    );
    let last = bodies.last().unwrap();
    let handler = &last[last.rfind("class Handler(").expect("a Handler class")..];
    assert!(
        handler.contains("\n    ALL_DATASETS = True\n") && !handler.contains("DATASET = \""),
        "the last function returns every dataset:\n{handler}"
    );
    for (body, dataset) in bodies.iter().zip(datasets) {
        let out = python(
            "import ast, sys\n\
             tree = ast.parse(sys.stdin.read())\n\
             names = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]\n\
             print(names[-1])",
            body,
        );
        assert_eq!(
            out.trim(),
            "Handler",
            "the body ends with the Handler class"
        );
        assert!(
            body.contains(&format!("DATASET = \"{dataset}\"")),
            "the body names {dataset}"
        );
    }
}

/// Statement types of a Snowflake script as sqlglot (a real SQL parser) reads it.
fn parse_snowflake(sql: &str) -> Vec<String> {
    python(
        "import sys, sqlglot\n\
         for s in sqlglot.parse(sys.stdin.read(), read='snowflake', error_level=sqlglot.ErrorLevel.RAISE):\n\
         \x20   print(type(s).__name__)",
        sql,
    )
    .lines()
    .map(str::to_string)
    .collect()
}

const ECOMMERCE: [&str; 3] = [
    "snowplow_recommendations_ecommerce_interactions",
    "snowplow_recommendations_ecommerce_users",
    "snowplow_recommendations_ecommerce_items",
];
const MEDIA: [&str; 1] = ["snowplow_recommendations_media_interactions"];

#[test]
fn register_prints_complete_ddl_for_every_dataset_of_both_plugins() {
    for (plugin, name, datasets) in [
        (&guests().ecommerce, "ecommerce", &ECOMMERCE[..]),
        (&guests().media, "media", &MEDIA[..]),
    ] {
        let run = rechost([
            "register",
            &path_arg(plugin),
            "--target",
            "snowflake",
            "--udf-schema",
            "analytics.recs",
        ]);
        run.assert_ok();
        let sql = &run.stdout;
        check_handler_bodies(sql, datasets);
        let mut kinds = vec!["Create".to_string(), "Put".to_string()];
        kinds.extend(datasets.iter().map(|_| "Create".to_string()));
        kinds.push("Create".to_string()); // the all-datasets function
        assert_eq!(parse_snowflake(sql), kinds);
        assert_golden(
            &format!("snowflake_register_{name}.sql"),
            &normalized(sql, plugin, "snowflake"),
        );

        let run = rechost([
            "register",
            &path_arg(plugin),
            "--target",
            "databricks",
            "--udf-schema",
            "main.recs",
            "--volume",
            "/Volumes/main/recs/plugins",
        ]);
        run.assert_ok();
        check_handler_bodies(&run.stdout, datasets);
        assert_golden(
            &format!("databricks_register_{name}.sql"),
            &normalized(&run.stdout, plugin, "databricks"),
        );
    }
}

#[test]
fn pushdown_dry_run_prints_the_warehouse_job() {
    let plugin = &guests().ecommerce;
    let run = rechost([
        "run",
        &path_arg(plugin),
        "--source",
        "snowflake",
        "--pushdown",
        "--dry-run",
        "--udf-schema",
        "analytics.recs",
        "--table",
        "analytics.derived.snowplow_ecommerce_product_interactions",
        "--out",
        "@analytics.recs.unload/personalize",
        "--start-date",
        "2024-03-01",
        "--end-date",
        "2024-03-10",
    ]);
    run.assert_ok();
    let kinds = parse_snowflake(&run.stdout);
    // The plugin's rows materialised once, then per dataset: split, unload twice.
    let mut expected = vec!["Create"];
    expected.extend(["Create", "Copy", "Copy"].repeat(3));
    assert_eq!(kinds, expected);
    assert_golden(
        "snowflake_pushdown_ecommerce.sql",
        &normalized(&run.stdout, plugin, "snowflake"),
    );

    let run = rechost([
        "run",
        &path_arg(plugin),
        "--source",
        "databricks",
        "--pushdown",
        "--dry-run",
        "--udf-schema",
        "main.recs",
        "--table",
        "main.derived.snowplow_ecommerce_product_interactions",
        "--out",
        "s3://bucket/personalize",
        "--start-date",
        "2024-03-01",
        "--end-date",
        "2024-03-10",
    ]);
    run.assert_ok();
    assert_golden(
        "databricks_pushdown_ecommerce.sql",
        &normalized(&run.stdout, plugin, "databricks"),
    );

    // Outputs that cannot be used are refused before anything runs.
    let run = rechost([
        "run",
        &path_arg(plugin),
        "--source",
        "snowflake",
        "--pushdown",
        "--dry-run",
        "--out",
        "s3://bucket/x",
    ]);
    run.assert_failed_with(1, &["--storage-integration"]);
    let run = rechost([
        "run",
        &path_arg(plugin),
        "--source",
        "databricks",
        "--pushdown",
        "--out",
        "s3://bucket/x",
    ]);
    // Without --dry-run it runs: here, with no workspace configured, that fails naming how to set one.
    run.assert_failed_with(1, &["no workspace host", "DATABRICKS_HOST"]);
}
