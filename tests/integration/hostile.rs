//! A hostile plugin author: manifest text crafted to become SQL, paths or terminal escapes.
//! The `hostile` test plugin's manifest strings are placeholders; each test patches one of
//! them in the `.wasm` bytes (same length, so the component stays valid) and checks that the
//! host refuses the plugin at load, naming the field, before anything reaches SQL, a path or
//! the terminal.

use std::path::{Path, PathBuf};

use crate::fakesnow::fakesnow;
use crate::harness::*;

const INJECTION: &str = "evil\nDROP TABLE victims;\n--";

/// The hostile plugin with the placeholder starting with `prefix` replaced by `payload`
/// (padded with `payload`'s last character to the placeholder's length).
fn patched(dir: &Path, prefix: &str, payload: &str) -> PathBuf {
    let mut wasm = std::fs::read(&guests().hostile).unwrap();
    // The placeholder: the prefix, then underscores (the next placeholder starts right after).
    let start = (0..wasm.len())
        .find(|&i| {
            wasm[i..].starts_with(prefix.as_bytes())
                && wasm[i + prefix.len()..].iter().take(8).all(|&b| b == b'_')
        })
        .unwrap_or_else(|| panic!("placeholder {prefix} not in the plugin"));
    let len = prefix.len()
        + wasm[start + prefix.len()..]
            .iter()
            .take_while(|&&b| b == b'_')
            .count();
    assert!(payload.len() <= len, "payload longer than the placeholder");
    let mut replacement = payload.as_bytes().to_vec();
    let pad = *replacement.last().unwrap();
    replacement.resize(len, pad);
    wasm[start..start + len].copy_from_slice(&replacement);
    let path = dir.join(format!("{}.wasm", prefix.trim_matches('_').to_lowercase()));
    std::fs::write(&path, wasm).unwrap();
    path
}

#[track_caller]
fn assert_refused(run: &Run, field: &str) {
    run.assert_failed_with(1, &["invalid manifest", field]);
    for raw in ['\u{1b}', '\r', '\u{7}'] {
        assert!(
            !run.stderr.contains(raw),
            "raw control character reached the terminal: {:?}",
            run.stderr
        );
    }
    assert_eq!(
        run.stdout, "",
        "nothing may be printed for a refused plugin"
    );
}

#[test]
fn the_unpatched_plugin_loads() {
    let run = rechost(["inspect", &path_arg(&guests().hostile)]);
    run.assert_ok();
    assert!(run.stdout.contains("PH_NAME_"), "{}", run.stdout);
}

#[test]
fn manifest_text_that_would_become_sql_paths_or_escapes_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("PH_NAME_", INJECTION, "plugin name"),
        ("PH_VERSION_", "1.0\n; DROP TABLE victims", "plugin version"),
        (
            "PH_DESCRIPTION_",
            "nice\u{1b}]0;pwned\u{7}\u{1b}[2J",
            "plugin description",
        ),
        ("PH_DOMAIN_", "../../etc/cron.d/x", "domain"),
        ("PH_TABLE_", "t; DROP TABLE victims; --", "source table"),
        (
            "PH_SOURCE_COLUMN_",
            "a\" FROM x; DROP TABLE victims; --",
            "source column",
        ),
        ("PH_DATASET_", "../../../../tmp/owned", "dataset name"),
        (
            "PH_OUTPUT_COLUMN_",
            "ID` STRING) AS 'x'; DROP TABLE victims; --",
            "dataset column",
        ),
        ("PH_OPTION_", "opt\u{1b}[31m", "option name"),
        (
            "PH_OPTION_TEXT_",
            "line one\nline two",
            "option description",
        ),
        ("PH_RECOMMENDER_", "Most\rviewed", "recommender name"),
        ("PH_EVENT_TYPE_", "View\u{0}", "recommender event type"),
    ];
    for (prefix, payload, field) in cases {
        let plugin = patched(dir.path(), prefix, payload);
        for command in ["inspect", "register"] {
            let mut args = vec![command.to_string(), path_arg(&plugin)];
            if command == "register" {
                args.extend([
                    "--target".into(),
                    "databricks".into(),
                    "--volume".into(),
                    "/Volumes/a/b/c".into(),
                ]);
            }
            let run = rechost(&args);
            assert_refused(&run, field);
        }
    }
}

/// The attack end to end against a Snowflake-protocol server: a hostile name, a hostile
/// `--table` and a hostile stage never reach it, and the victims table survives.
#[test]
fn injected_statements_never_reach_snowflake() {
    let server = fakesnow();
    let dir = tempfile::tempdir().unwrap();
    let victims = dir.path().join("victims.csv");
    std::fs::write(
        &victims,
        "id,ts\nv1,2024-03-01 10:00:00\nv2,2024-03-02 10:00:00\n",
    )
    .unwrap();
    let columns = [("id", "VARCHAR"), ("ts", "TIMESTAMP_NTZ")];
    server.load("HOSTILE_DB.PUBLIC.VICTIMS", &columns, &victims);
    let home = server.snowflake_home("hostile", "HOSTILE_DB", "PUBLIC", &server.password);
    let env = || vec![("SNOWFLAKE_HOME", path_arg(home.path()))];
    let plugin = patched(dir.path(), "PH_NAME_", INJECTION);
    let attempts: Vec<Vec<String>> = vec![
        vec![
            "register".into(),
            path_arg(&plugin),
            "--target".into(),
            "snowflake".into(),
            "--execute".into(),
        ],
        vec![
            "run".into(),
            path_arg(&plugin),
            "--source".into(),
            "snowflake".into(),
            "--out".into(),
            path_arg(&dir.path().join("o1")),
        ],
        vec![
            "run".into(),
            path_arg(&guests().misbehave),
            "--source".into(),
            "snowflake".into(),
            "--table".into(),
            "\"x\nDROP TABLE victims;\n--\"".into(),
            "--out".into(),
            path_arg(&dir.path().join("o2")),
        ],
        vec![
            "run".into(),
            path_arg(&guests().misbehave),
            "--source".into(),
            "snowflake".into(),
            "--pushdown".into(),
            "--table".into(),
            "\"x\nDROP TABLE victims;\n--\"".into(),
            "--out".into(),
            "@stage".into(),
        ],
        vec![
            "run".into(),
            path_arg(&guests().misbehave),
            "--source".into(),
            "snowflake".into(),
            "--pushdown".into(),
            "--out".into(),
            "@stage/x';DROP TABLE victims;--".into(),
        ],
    ];
    for args in attempts {
        let run = rechost_with_env(&args, env());
        assert_eq!(
            run.code,
            Some(1),
            "{args:?} was not refused:\n{}",
            run.stderr
        );
    }
    // The victims are still there: read them back through the protocol.
    let out = dir.path().join("read-back");
    let read = rechost_with_env(
        [
            "run",
            &path_arg(&guests().misbehave),
            "--source",
            "snowflake",
            "--table",
            "HOSTILE_DB.PUBLIC.VICTIMS",
            "--out",
            &path_arg(&out),
            "--start-date",
            "2024-03-01",
            "--end-date",
            "2024-03-31",
            "--json",
        ],
        env(),
    );
    read.assert_ok();
    assert_eq!(read.json()["rows_read"], 2, "{}", read.stdout);
}
