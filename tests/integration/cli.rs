//! The command line itself: inspect, argument checks, plugin loading errors, compile cache.

use crate::harness::*;

#[test]
fn inspect_describes_the_manifest() {
    let run = rechost(["inspect", &path_arg(&guests().ecommerce)]);
    run.assert_ok();
    for needle in [
        "snowplow-ecommerce",
        "ECOMMERCE",
        "snowplow_ecommerce_product_interactions",
        "snowplow_recommendations_ecommerce_items",
        "one row per ITEM_ID, latest by derived_tstamp, event_id",
        "category-separator",
        "Best sellers",
    ] {
        assert!(
            run.stdout.contains(needle),
            "inspect lacks {needle:?}:\n{}",
            run.stdout
        );
    }
    let json = rechost(["inspect", &path_arg(&guests().media), "--json"]);
    json.assert_ok();
    let manifest = json.json();
    assert_eq!(manifest["domain"], "VIDEO_ON_DEMAND");
    assert_eq!(manifest["source"]["time_column"], "start_tstamp");
    assert_eq!(manifest["datasets"][0]["columns"][0]["role"], "user-id");
}

#[test]
fn a_core_module_is_not_a_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("core.wasm");
    std::fs::write(&path, b"\0asm\x01\0\0\0").unwrap();
    rechost(["inspect", &path_arg(&path)]).assert_failed_with(
        1,
        &["core.wasm", "core WebAssembly module, not a component"],
    );
    let text = dir.path().join("notes.wasm");
    std::fs::write(&text, b"hello").unwrap();
    rechost(["inspect", &path_arg(&text)])
        .assert_failed_with(1, &["notes.wasm", "not a WebAssembly file"]);
    rechost(["inspect", &path_arg(&dir.path().join("absent.wasm"))])
        .assert_failed_with(1, &["cannot read plugin", "absent.wasm"]);
}

#[test]
fn an_incompatible_contract_version_is_named() {
    rechost(["inspect", &path_arg(&guests().future_contract)]).assert_failed_with(
        1,
        &[
            "future_contract.wasm",
            "implements contract rechost:plugin/plugin@0.3.0",
            "supports rechost:plugin/plugin@0.1.x and rechost:plugin/plugin@0.2.x",
        ],
    );
}

#[test]
fn date_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = path_arg(&guests().ecommerce);
    let out = path_arg(dir.path());
    let half = rechost([
        "run",
        &plugin,
        "--input",
        "x.csv",
        "--out",
        &out,
        "--start-date",
        "2024-01-01",
    ]);
    assert_eq!(half.code, Some(2), "{}", half.stderr);
    assert!(half.stderr.contains("--end-date"), "{}", half.stderr);
    rechost([
        "run",
        &plugin,
        "--input",
        "x.csv",
        "--out",
        &out,
        "--start-date",
        "2024-02-01",
        "--end-date",
        "2024-01-01",
    ])
    .assert_failed_with(1, &["start date 2024-02-01 is after end date 2024-01-01"]);
    let bad = rechost([
        "run",
        &plugin,
        "--input",
        "x.csv",
        "--out",
        &out,
        "--start-date",
        "2024-13-01",
        "--end-date",
        "2024-01-01",
    ]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
}

#[test]
fn compiled_plugins_are_cached() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("plays.parquet");
    sample("media", 100, &input);
    let cache = dir.path().join("cache");
    let run = |out: &str| {
        let run = rechost(
            [
                "run",
                &path_arg(&guests().media),
                "--input",
                &path_arg(&input),
                "--out",
                &path_arg(&dir.path().join(out)),
                "--cache-dir",
                &path_arg(&cache),
                "--json",
            ]
            .into_iter()
            .chain(SAMPLE_WINDOW),
        );
        run.assert_ok();
        run.json()["plugin"]["compile_cache"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(run("first"), "stored");
    assert_eq!(run("second"), "hit");
    // A corrupt cache entry is recompiled, not fatal.
    for entry in std::fs::read_dir(&cache).unwrap() {
        std::fs::write(entry.unwrap().path(), b"garbage").unwrap();
    }
    assert_eq!(run("third"), "stored");
}

#[test]
fn a_perf_map_names_the_plugin_functions_when_asked_for() {
    let map_of = |child: &std::process::Child| format!("/tmp/perf-{}.map", child.id());
    let inspect = |perf_map: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rechost"))
            .args(["inspect", &path_arg(&guests().media), "--no-cache"])
            .env("RECHOST_PERF_MAP", perf_map)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("rechost runs");
        assert!(child.wait().unwrap().success());
        let map = map_of(&child);
        let text = std::fs::read_to_string(&map).ok();
        let _ = std::fs::remove_file(&map);
        text
    };
    let text = inspect("1").expect("RECHOST_PERF_MAP=1 writes /tmp/perf-<pid>.map");
    assert!(text.contains("rechost_plugin_sdk"), "{text}");
    assert_eq!(inspect("0"), None);
}
