//! Contract versions side by side: a 0.1 plugin (tests/plugins/misbehave) and a 0.2 one
//! (tests/plugins/contract-v0-2, byte buffers) load in the same host and mean the same, and a
//! 0.2 buffer that is not a whole number of values is refused with the column named. The
//! host's kernels give the same bytes as the plugin's own code, and refuse malformed buffers.

use crate::harness::*;

fn run_v0_2(input: &std::path::Path, out: &std::path::Path, mode: &str) -> Run {
    let mut args = misbehave_args(input, out, mode, &["--quiet"]);
    args[1] = path_arg(&guests().contract_v0_2);
    rechost(args)
}

#[test]
fn a_0_1_and_a_0_2_plugin_write_the_same_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let input = misbehave_events(dir.path(), 300);
    let (v0_1, v0_2) = (dir.path().join("v0_1"), dir.path().join("v0_2"));
    let through_kernels = dir.path().join("kernels");
    rechost(misbehave_args(&input, &v0_1, "ok", &["--quiet"])).assert_ok();
    run_v0_2(&input, &v0_2, "ok").assert_ok();
    run_v0_2(&input, &through_kernels, "kernels").assert_ok();
    for file in ["personalize-dataset.csv", "personalize-dataset.parquet"] {
        let path = |root: &std::path::Path| root.join("out").join(file);
        let expected = std::fs::read(path(&v0_1)).unwrap();
        assert_eq!(
            std::fs::read(path(&v0_2)).unwrap(),
            expected,
            "{file} differs between the contract versions"
        );
        assert_eq!(
            std::fs::read(path(&through_kernels)).unwrap(),
            expected,
            "{file} differs when made by the host's kernels"
        );
    }
    let rows = read_csv(&v0_2.join("out/personalize-dataset.csv"));
    assert_eq!(
        (rows.len(), &rows[1]),
        (301, &vec!["id-0".into(), "1709287200".into()])
    );

    let inspect = rechost(["inspect", &path_arg(&guests().contract_v0_2)]);
    inspect.assert_ok();
    assert!(inspect.stdout.contains("contract    rechost:plugin 0.2"));
    let inspect = rechost(["inspect", &path_arg(&guests().misbehave)]);
    assert!(inspect.stdout.contains("contract    rechost:plugin 0.1"));
}

#[test]
fn byte_buffers_that_are_not_whole_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = misbehave_events(dir.path(), 20);
    let out = dir.path().join("out");
    run_v0_2(&input, &out, "ragged-int64").assert_failed_with(
        1,
        &[
            "contract-v0-2",
            "invalid output for dataset out in batch 0",
            "column SECONDS",
            "values has 159 bytes, not a whole number of 8-byte values",
        ],
    );
    run_v0_2(&input, &out, "ragged-offsets").assert_failed_with(
        1,
        &[
            "column ID",
            "offsets has 86 bytes, not a whole number of 4-byte values",
        ],
    );
    assert!(!out.join("out").exists(), "a refused batch wrote a dataset");
}

#[test]
fn a_kernel_called_with_a_malformed_bitmap_stops_the_run_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = misbehave_events(dir.path(), 20);
    let out = dir.path().join("out");
    run_v0_2(&input, &out, "bad-kernel-call").assert_failed_with(
        1,
        &[
            "contract-v0-2",
            "rechost kernel filter-utf8: keep has 0 bytes, 20 rows need 3",
        ],
    );
    assert!(!out.join("out").exists(), "a failed batch wrote a dataset");
}

#[test]
fn a_supported_version_with_other_functions_names_the_wit_to_build_against() {
    rechost(["inspect", &path_arg(&guests().mismatched_contract)]).assert_failed_with(
        1,
        &[
            "mismatched_contract.wasm",
            "exports rechost:plugin/plugin@0.2.x, but not as wit/0.2/plugin.wit defines it",
            "transform",
            "rebuild it against that file",
        ],
    );
}

#[test]
fn rechost_check_runs_its_edge_case_batches_through_a_0_2_plugin() {
    let check = rechost(["check", &path_arg(&guests().contract_v0_2)]);
    for batch in [
        "every column NULL",
        "NULL next to empty strings",
        "pre-1970 timestamps",
        "Unicode text",
        "256-character ids",
        "a full batch",
    ] {
        assert!(
            check.stdout.contains(&format!("ok   batch: {batch}")),
            "{batch}:\n{}",
            check.stdout
        );
    }
    // The only failure is the test plugin's manifest: it declares no interactions dataset.
    assert!(
        check.stdout.contains("11 checks, 1 failed"),
        "{}",
        check.stdout
    );
}
