//! What a plugin author meets: `rechost check` before anything real runs, a pinned digest,
//! and clear words for the usual build mistakes.

use crate::harness::*;

#[test]
fn the_first_party_plugins_pass_every_check() {
    for plugin in [&guests().ecommerce, &guests().media] {
        let run = rechost(["check", &path_arg(plugin)]);
        run.assert_ok();
        assert!(
            run.stdout.contains("batch: pre-1970 timestamps"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("batch: 256-character ids"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains(", 0 failed"), "{}", run.stdout);
        assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);
    }
}

#[test]
fn a_plugin_that_breaks_rules_fails_with_hints() {
    // misbehave declares no interactions dataset; with mode=trap every batch traps.
    let run = rechost([
        "check",
        &path_arg(&guests().misbehave),
        "--option",
        "mode=trap",
    ]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    for needle in [
        "FAIL manifest: an interactions dataset",
        "FAIL batch: every column NULL",
        "deliberate trap",
        "hint: the plugin trapped",
        "FAIL batch: the same input twice",
    ] {
        assert!(
            run.stdout.contains(needle),
            "no {needle:?} in:\n{}",
            run.stdout
        );
    }
    // A reported error is a failure too: rows it cannot use should be dropped and counted.
    let run = rechost([
        "check",
        &path_arg(&guests().misbehave),
        "--option",
        "mode=error",
        "--json",
    ]);
    assert_eq!(run.code, Some(1));
    let findings: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let failed: Vec<&serde_json::Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["passed"] == false)
        .collect();
    assert!(
        failed
            .iter()
            .any(|f| f["hint"].as_str().unwrap().contains("drop the rows"))
    );
}

#[test]
fn a_core_module_and_a_non_plugin_are_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, [0, b'a', b's', b'm', 1, 0, 0, 0]).unwrap();
    let run = rechost(["check", &path_arg(&core)]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout
            .contains("core WebAssembly module, not a component"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("hint: build a component"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_pinned_digest_refuses_any_other_plugin() {
    let inspect = rechost(["inspect", &path_arg(&guests().media), "--json"]);
    inspect.assert_ok();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("plays.parquet");
    sample("media", 200, &input);
    let run_pinned = |pin: &str, out: &str| {
        let args = [
            "run",
            &path_arg(&guests().media),
            "--input",
            &path_arg(&input),
            "--out",
            &path_arg(&dir.path().join(out)),
            "--plugin-sha256",
            pin,
            "--quiet",
        ];
        rechost(args.iter().copied().chain(SAMPLE_WINDOW))
    };
    let summary = rechost(["inspect", &path_arg(&guests().media)]);
    let actual = summary
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("sha256      "))
        .unwrap()
        .to_string();
    run_pinned(&actual, "right").assert_ok();
    let wrong = "0".repeat(64);
    run_pinned(&wrong, "wrong").assert_failed_with(1, &[&actual, &wrong, "pin"]);
    assert!(
        !dir.path()
            .join("wrong")
            .join("snowplow_recommendations_media_interactions")
            .exists()
    );
    assert_eq!(run_pinned("abc", "bad").code, Some(2));
}
