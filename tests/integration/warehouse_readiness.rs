//! The readiness report of a pushdown run, computed by aggregate SQL inside the warehouse:
//! over the very rows a local run wrote (its datasets laid out as Spark writes them, or loaded
//! as the Snowflake script's temporary tables), it equals the local run's readiness JSON in
//! every field but where the files are (`import_from`). Real engines: local Spark behind the
//! Databricks API, and fakesnow (DuckDB) behind the Snowflake protocol.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rechost::manifest::{DataType, Manifest};
use rechost::warehouse::readiness;

use crate::fakesnow::fakesnow;
use crate::harness::*;

const FIXTURE: &str = "snowplow_ecommerce_product_interactions.csv";
const FIXTURE_WINDOW: [&str; 4] = ["--start-date", "2022-01-01", "--end-date", "2022-12-31"];

fn manifest(plugin: &Path) -> Manifest {
    let options = rechost::plugin::LoadOptions::default();
    rechost::plugin::Plugin::load(plugin, &options)
        .unwrap()
        .manifest
}

/// A local run of `plugin` over `input` into `out`; its readiness JSON.
fn local_report(plugin: &Path, input: &Path, window: &[&str], out: &Path) -> serde_json::Value {
    run_locally(plugin, input, out, window).assert_ok();
    let domain = manifest(plugin).domain.to_ascii_lowercase();
    let json = std::fs::read(out.join(format!("readiness-{domain}.json"))).unwrap();
    serde_json::from_slice(&json).unwrap()
}

/// The report without what legitimately differs between a local and a pushdown run: what
/// produced it (the JSON's `plugin` and `window` wrap the report), where each CSV is, and the
/// rows the plugin's output check dropped (inside the warehouse the functions drop them
/// without a count leaving it).
fn comparable(mut report: serde_json::Value) -> serde_json::Value {
    let object = report.as_object_mut().unwrap();
    object.remove("plugin");
    object.remove("window");
    object.remove("dropped_rows");
    for fit in object["import_fit"].as_array_mut().unwrap() {
        fit.as_object_mut().unwrap().remove("import_from");
    }
    report
}

/// The report as its JSON file reads back (floats parsed from the same text as the local
/// run's, so equal values compare equal).
fn as_written(report: &rechost::readiness::ReadinessReport) -> serde_json::Value {
    serde_json::from_str(&serde_json::to_string(report).unwrap()).unwrap()
}

#[track_caller]
fn assert_same_report(got: serde_json::Value, want: serde_json::Value, what: &str) {
    let (got, want) = (comparable(got), comparable(want));
    assert!(
        want["interactions"]["interactions"].as_u64().unwrap() > 0,
        "{what}: the local run wrote no interactions"
    );
    for (key, value) in want.as_object().unwrap() {
        assert_eq!(
            &got[key], value,
            "{what}: `{key}` differs from the local run"
        );
    }
    assert_eq!(got, want, "{what}");
}

/// The cases: the shared fixture (when present) and `rechost sample` rows of both plugins.
fn cases(dir: &Path) -> Vec<(&'static str, PathBuf, PathBuf, Vec<&'static str>)> {
    let mut cases = Vec::new();
    if let Some(fixture) = shared_fixture(FIXTURE) {
        cases.push((
            "fixture",
            guests().ecommerce.clone(),
            fixture,
            FIXTURE_WINDOW.to_vec(),
        ));
    }
    for (domain, plugin) in [
        ("ecommerce", &guests().ecommerce),
        ("media", &guests().media),
    ] {
        let file = dir.join(format!("sample-{domain}.parquet"));
        sample(domain, 20_000, &file);
        cases.push((domain, plugin.clone(), file, SAMPLE_WINDOW.to_vec()));
    }
    cases
}

#[cfg(feature = "databricks")]
fn databricks_client(
    server: &crate::databricks_server::Server,
) -> rechost::warehouse::databricks::Databricks {
    use crate::databricks_server::RUNNING;
    use rechost::warehouse::databricks::{Databricks, config};
    let env: BTreeMap<&str, String> = server.env(RUNNING).into_iter().collect();
    let home = tempfile::tempdir().unwrap();
    let explicit = config::Explicit {
        warehouse_id: Some(RUNNING.into()),
        ..Default::default()
    };
    let settings =
        config::resolve(&explicit, &|k: &str| env.get(k).cloned(), Some(home.path())).unwrap();
    Databricks::connect(&settings).unwrap()
}

#[cfg(feature = "databricks")]
#[test]
fn spark_statistics_over_the_written_datasets_equal_the_local_report() {
    let Some(server) = crate::databricks_server::databricks() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = databricks_client(server);
    for (what, plugin, input, window) in cases(dir.path()) {
        let local = dir.path().join(format!("{what}-local"));
        let want = local_report(&plugin, &input, &window, &local);
        // The datasets as the pushdown script leaves them: OUT/<dataset>/parquet/ and csv/.
        let written = dir.path().join(format!("{what}-written"));
        let manifest = manifest(&plugin);
        for dataset in &manifest.datasets {
            for (format, file) in [("parquet", "parquet"), ("csv", "csv")] {
                let folder = written.join(&dataset.name).join(format);
                std::fs::create_dir_all(&folder).unwrap();
                std::fs::copy(
                    local
                        .join(&dataset.name)
                        .join(format!("personalize-dataset.{file}")),
                    folder.join(format!("part-00000.{file}")),
                )
                .unwrap();
            }
        }
        let aggregates =
            readiness::databricks_aggregates(&client, &manifest, &path_arg(&written)).unwrap();
        let got = as_written(&aggregates.report(&manifest, BTreeMap::new()));
        assert_same_report(got, want, what);
    }
}

fn snowflake_type(data_type: DataType) -> &'static str {
    match data_type {
        DataType::Utf8 => "VARCHAR",
        DataType::Int64 => "NUMBER(38, 0)",
        DataType::Float64 => "FLOAT",
        DataType::Boolean => "BOOLEAN",
        DataType::Timestamp => "TIMESTAMP_NTZ",
    }
}

#[test]
fn snowflake_statistics_over_the_unloaded_tables_equal_the_local_report() {
    let server = fakesnow();
    let dir = tempfile::tempdir().unwrap();
    for (what, plugin, input, window) in cases(dir.path()) {
        let local = dir.path().join(format!("{what}-local"));
        let want = local_report(&plugin, &input, &window, &local);
        let manifest = manifest(&plugin);
        // The rows as the pushdown script's tables hold them, in the session's schema.
        let schema = format!("READINESS_{}", what.to_ascii_uppercase());
        for (index, dataset) in manifest.datasets.iter().enumerate() {
            let columns: Vec<(&str, &str)> = (dataset.columns.iter())
                .map(|c| (c.name.as_str(), snowflake_type(c.data_type)))
                .collect();
            let table = format!(
                "RECHOST.{schema}.{}",
                readiness::snowflake_rows_table(index)
            );
            let csv = local.join(&dataset.name).join("personalize-dataset.csv");
            server.load(&table, &columns, &csv);
        }
        let home = server.snowflake_home("readiness", "RECHOST", &schema, &server.password);
        let file = home.path().join("connections.toml");
        let settings =
            rechost::warehouse::snowflake::config::resolve(None, Some(&file), &|_| None).unwrap();
        let session = rechost::warehouse::snowflake::Snowflake::connect(&settings).unwrap();
        let aggregates = readiness::snowflake_aggregates(session, &manifest).unwrap();
        let mut got = as_written(&aggregates.report(&manifest, BTreeMap::new()));
        // Snowflake unloads the CSV itself; its size is not read back.
        got["import_fit"] = want["import_fit"].clone();
        assert_same_report(got, want, what);
    }
}

#[test]
fn snowflake_statistics_read_the_tables_the_pushdown_script_unloads() {
    let run = rechost([
        "run",
        &path_arg(&guests().ecommerce),
        "--source",
        "snowflake",
        "--pushdown",
        "--dry-run",
        "--out",
        "@analytics.recs.unload/personalize",
    ]);
    run.assert_ok();
    let manifest = manifest(&guests().ecommerce);
    for (index, dataset) in manifest.datasets.iter().enumerate() {
        let table = readiness::snowflake_rows_table(index);
        let created = format!("CREATE OR REPLACE TEMPORARY TABLE {table} AS");
        let unloaded = format!("FROM {table}");
        assert!(
            run.stdout.contains(&created),
            "{}: {created} missing",
            dataset.name
        );
        assert!(
            run.stdout.contains(&unloaded),
            "{}: {unloaded} missing",
            dataset.name
        );
    }
}

#[cfg(feature = "databricks")]
#[test]
fn a_staging_folder_in_a_volume_is_removed_with_everything_in_it() {
    let Some(server) = crate::databricks_server::databricks() else {
        return;
    };
    let client = databricks_client(server);
    let volume = "/Volumes/main/recs/plugins/removal";
    let local = server.volumes_dir.join("main/recs/plugins/removal");
    std::fs::create_dir_all(local.join(".rechost-staging-1/d/parquet")).unwrap();
    std::fs::create_dir_all(local.join("kept")).unwrap();
    for file in [
        ".rechost-staging-1/d/parquet/part-0.parquet",
        ".rechost-staging-1/x",
        "kept/y",
    ] {
        std::fs::write(local.join(file), "bytes").unwrap();
    }
    let staging = format!("{volume}/.rechost-staging-1");
    assert!(
        client.remove_folder(&staging).unwrap(),
        "there was a folder"
    );
    assert!(!local.join(".rechost-staging-1").exists());
    assert_eq!(
        std::fs::read(local.join("kept/y")).unwrap(),
        b"bytes",
        "a sibling was touched"
    );
    assert!(
        !client.remove_folder(&staging).unwrap(),
        "absent: nothing to do"
    );
    client
        .upload_bytes(
            b"report".to_vec(),
            &format!("{volume}/readiness-x.json"),
            true,
        )
        .unwrap();
    assert_eq!(
        std::fs::read(local.join("readiness-x.json")).unwrap(),
        b"report"
    );
}

#[test]
fn snowflake_writes_the_report_files_with_one_unload_each() {
    let manifest = manifest(&guests().ecommerce);
    let text = "{\n  \"it's\": \"a \\\"quoted\\\" value\"\n}";
    let staged = rechost::warehouse::write_file_sql(
        &manifest,
        "@analytics.recs.unload/personalize/",
        "readiness-ecommerce.json",
        text,
        Some("IGNORED_FOR_STAGES"),
    )
    .unwrap();
    assert!(
        staged.contains("COPY INTO @analytics.recs.unload/personalize/readiness-ecommerce.json\n"),
        "{staged}"
    );
    assert!(!staged.contains("STORAGE_INTEGRATION"), "{staged}");
    // One string literal holding the text exactly (Snowflake's backslash escapes).
    let literal = r#"'{
  "it\'s": "a \\"quoted\\" value"
}'"#;
    assert!(
        staged.contains(&format!("FROM (SELECT {literal})")),
        "{staged}"
    );
    assert_eq!(rechost::warehouse::statements(&staged).len(), 1, "{staged}");
    let external = rechost::warehouse::write_file_sql(
        &manifest,
        "s3://bucket/personalize",
        "readiness-ecommerce.html",
        "<html></html>",
        Some("MY_INTEGRATION"),
    )
    .unwrap();
    assert!(
        external.contains("COPY INTO 's3://bucket/personalize/readiness-ecommerce.html'"),
        "{external}"
    );
    assert!(
        external.contains("STORAGE_INTEGRATION = MY_INTEGRATION"),
        "{external}"
    );
    for bad in ["@stage/x';DROP", "s3://b/p --"] {
        assert!(
            rechost::warehouse::write_file_sql(&manifest, bad, "r.json", "{}", None).is_err(),
            "{bad} accepted"
        );
    }
}
