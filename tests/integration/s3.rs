//! `--out s3://bucket/prefix` against a real S3-compatible server (moto) with signature
//! checking on: same bytes as a local run, multipart for big objects, one-line errors, and
//! nothing half-written or left open after a failure.

use std::path::{Path, PathBuf};

use crate::harness::*;
use crate::moto::{Checker, Key, aws_env, moto};

const INTERACTIONS_CSV: &str =
    "snowplow_recommendations_ecommerce_interactions/personalize-dataset.csv";

fn run_to(out: &str, input: &Path, key: &Key, extra: &[&str]) -> Run {
    let moto = moto();
    let args: Vec<String> = [
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(input),
        "--out",
        out,
        "--s3-endpoint",
        &moto.endpoint,
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(SAMPLE_WINDOW.iter().map(|s| s.to_string()))
    .chain(extra.iter().map(|s| s.to_string()))
    .collect();
    rechost_with_env(args, aws_env(key))
}

fn url(prefix: &str) -> String {
    format!("s3://{}/{prefix}", moto().bucket)
}

fn sample_input(dir: &Path, rows: u64) -> PathBuf {
    let input = dir.join(format!("ecommerce-{rows}.parquet"));
    sample("ecommerce", rows, &input);
    input
}

#[test]
fn s3_output_is_byte_identical_to_local_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 20_000);
    let local = dir.path().join("local");
    run_ecommerce_locally(&input, &local).assert_ok();
    run_to(&url("roundtrip"), &input, &moto().writer, &[]).assert_ok();
    let uploaded = Checker::new(moto()).objects("roundtrip");
    let expected = snapshot(&local);
    assert_eq!(
        uploaded.len(),
        11,
        "3 datasets x 3 files + readiness report (JSON and HTML)"
    );
    assert_eq!(
        uploaded.iter().map(|o| &o.0).collect::<Vec<_>>(),
        expected.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    for ((key, got), (_, want)) in uploaded.iter().zip(&expected) {
        assert!(got == want, "{key} differs from the local output");
    }
}

#[test]
fn a_run_aborts_uploads_left_open_under_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 2_000);
    let checker = Checker::new(moto());
    checker.leave_open_upload(&format!("stray/{INTERACTIONS_CSV}"));
    checker.leave_open_upload("stray/somewhere/else.bin");
    assert_eq!(checker.open_uploads("stray"), 2);
    run_to(&url("stray"), &input, &moto().writer, &[]).assert_ok();
    assert_eq!(checker.open_uploads("stray"), 0, "open uploads left behind");
    assert!(
        checker
            .objects("stray")
            .iter()
            .any(|(key, _)| key == INTERACTIONS_CSV),
        "the run's own upload of the same key completed"
    );
}

#[test]
fn large_objects_are_uploaded_in_several_parts() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 400_000);
    let local = dir.path().join("local");
    run_ecommerce_locally(&input, &local).assert_ok();
    run_to(
        &url("multipart"),
        &input,
        &moto().writer,
        &["--s3-part-size-mib", "5"],
    )
    .assert_ok();
    let checker = Checker::new(moto());
    let local_csv = std::fs::read(local.join(INTERACTIONS_CSV)).unwrap();
    assert!(
        local_csv.len() > 12 << 20,
        "the CSV must span more than two 5 MiB parts"
    );
    let etag = checker.etag(&format!("multipart/{INTERACTIONS_CSV}"));
    let parts: usize = etag
        .trim_matches('"')
        .rsplit_once('-')
        .map(|(_, n)| n.parse().unwrap())
        .unwrap_or(1);
    assert!(parts > 2, "expected more than 2 parts, ETag {etag}");
    let uploaded = checker.objects("multipart");
    let csv = uploaded.iter().find(|o| o.0 == INTERACTIONS_CSV).unwrap();
    assert!(
        csv.1 == local_csv,
        "multipart object differs from the local file"
    );
    assert_eq!(checker.open_uploads("multipart"), 0);
}

#[test]
fn wrong_secret_fails_with_one_line_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 100);
    let wrong = Key {
        id: moto().writer.id.clone(),
        secret: "wrongwrongwrongwrongwrongwrongwrongwrong".into(),
    };
    let run = run_to(&url("wrong-secret"), &input, &wrong, &[]);
    run.assert_failed_with(1, &["secret access key is wrong", "AWS_SECRET_ACCESS_KEY"]);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&wrong.secret) && !run.stderr.contains(&moto().writer.secret));
}

#[test]
fn unknown_access_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 100);
    let unknown = Key {
        id: "AKIAUNKNOWNKEY000000".into(),
        secret: "x".repeat(40),
    };
    run_to(&url("unknown-key"), &input, &unknown, &[])
        .assert_failed_with(1, &["access key id is not known"]);
}

#[test]
fn missing_bucket_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 100);
    let run = run_to("s3://no-such-bucket-here/x", &input, &moto().writer, &[]);
    run.assert_failed_with(1, &["bucket `no-such-bucket-here` does not exist"]);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line:\n{}",
        run.stderr
    );
}

#[test]
fn missing_permission_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 100);
    run_to(&url("denied"), &input, &moto().nobody, &[])
        .assert_failed_with(1, &["access denied", "s3:PutObject"]);
}

#[test]
fn unreachable_endpoint_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_input(dir.path(), 100);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let args: Vec<String> = [
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(&input),
        "--out",
        "s3://b/p",
        "--s3-endpoint",
        &endpoint,
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let run = rechost_with_env(args, aws_env(&moto().writer));
    run.assert_failed_with(1, &["cannot reach", &endpoint]);
}

#[test]
fn failed_run_aborts_uploads_and_keeps_the_previous_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let small = sample_input(dir.path(), 2_000);
    run_to(&url("keep"), &small, &moto().writer, &[]).assert_ok();
    let checker = Checker::new(moto());
    let before = checker.objects("keep");
    assert!(!before.is_empty());

    // A big good file (several parts uploaded), then a bad one: the run fails at the end.
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    sample("ecommerce", 400_000, &folder.join("a.parquet"));
    std::fs::write(
        folder.join("b.csv"),
        "event_id,derived_tstamp\ne1,2024-03-02 10:00:00\n",
    )
    .unwrap();
    let run = run_to(
        &url("keep"),
        &folder,
        &moto().writer,
        &["--s3-part-size-mib", "5"],
    );
    run.assert_failed_with(1, &["b.csv", "missing column"]);
    assert_eq!(
        checker.open_uploads("keep"),
        0,
        "multipart uploads left open"
    );
    assert!(
        checker.objects("keep") == before,
        "the previous dataset changed"
    );
}

#[test]
fn endpoint_lost_mid_upload_leaves_no_parts_and_the_previous_dataset() {
    let moto = moto();
    let dir = tempfile::tempdir().unwrap();
    let small = sample_input(dir.path(), 2_000);
    run_to(&url("lost"), &small, &moto.writer, &[]).assert_ok();
    let checker = Checker::new(moto);
    let before = checker.objects("lost");

    let big = sample_input(dir.path(), 400_000);
    let target = moto.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = crate::proxy::FlakyProxy::start(target);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rechost"))
        .args([
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            &path_arg(&big),
            "--out",
            &url("lost"),
            "--quiet",
        ])
        .args(["--s3-endpoint", &proxy.endpoint, "--s3-part-size-mib", "5"])
        .args(SAMPLE_WINDOW)
        .envs(aws_env(&moto.writer))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Cut the endpoint once two parts have gone through, then bring it back: the run must
    // fail, and its abort (which retries) must clean up once the endpoint is back.
    let waited = std::time::Instant::now();
    while proxy.client_bytes() < 11 << 20 && child.try_wait().unwrap().is_none() {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(300),
            "upload never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    proxy.set_up(false);
    std::thread::sleep(std::time::Duration::from_secs(4));
    proxy.set_up(true);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the run should fail:\n{stderr}"
    );
    assert!(stderr.contains("S3 s3://"), "{stderr}");
    assert_eq!(
        checker.open_uploads("lost"),
        0,
        "multipart uploads left open"
    );
    assert!(
        checker.objects("lost") == before,
        "the previous dataset changed"
    );
}

#[test]
fn a_second_run_into_the_same_prefix_fails_at_once_and_a_killed_runs_lock_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = misbehave_events(dir.path(), 1000);
    let out = url("locked-prefix");
    let args = |mode: &str| {
        let mut args = misbehave_args(&input, Path::new(&out), mode, &["--quiet"]);
        args.extend(
            [
                "--batch-rows",
                "1",
                "--workers",
                "1",
                "--s3-endpoint",
                &moto().endpoint,
            ]
            .map(String::from),
        );
        args
    };
    let mut slow = std::process::Command::new(env!("CARGO_BIN_EXE_rechost"))
        .args(args("slow"))
        .envs(aws_env(&moto().writer))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The lock is taken before the first batch: wait until it exists.
    let checker = Checker::new(moto());
    let started = std::time::Instant::now();
    while checker.objects("locked-prefix").is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no lock object appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = rechost_with_env(args("ok"), aws_env(&moto().writer));
    second.assert_failed_with(
        1,
        &[
            "being written by another rechost run",
            &format!("pid {}", slow.id()),
        ],
    );
    // SIGKILL: the lock stays; the next run names it and how to remove it once nobody writes.
    slow.kill().unwrap();
    slow.wait().unwrap();
    let third = rechost_with_env(args("ok"), aws_env(&moto().writer));
    third.assert_failed_with(1, &["if no run is writing there, delete", ".rechost.lock"]);
}
