//! The project file (rechost.toml): a file mirroring the dbt package's documented setup runs
//! both plugins with one command into S3 (the moto server) and writes the bytes separate
//! runs write; unlisted datasets are not written; errors name the line; `rechost config`
//! shows every value and where it came from.

use std::path::Path;

use crate::harness::*;
use crate::moto::{Checker, aws_env, moto};

const ECOMMERCE_USERS: &str = "snowplow_recommendations_ecommerce_users";
const ECOMMERCE_READINESS: &str = "readiness-ecommerce.json";
const ECOMMERCE_PAGE: &str = "readiness-ecommerce.html";

/// Sample inputs for both domains, and both domains run separately into `dir/separate`.
fn inputs_and_separate_runs(dir: &Path) -> std::path::PathBuf {
    sample("ecommerce", 20_000, &dir.join("ecommerce.parquet"));
    sample("media", 5_000, &dir.join("media.csv"));
    let separate = dir.join("separate");
    run_ecommerce_locally(&dir.join("ecommerce.parquet"), &separate).assert_ok();
    rechost(
        [
            "run",
            &path_arg(&guests().media),
            "--input",
            &path_arg(&dir.join("media.csv")),
            "--out",
            &path_arg(&separate),
            "--quiet",
        ]
        .into_iter()
        .chain(SAMPLE_WINDOW),
    )
    .assert_ok();
    separate
}

/// The dbt package's documented setup in rechost.toml: both domains, `tables_to_export`
/// with the interactions and items datasets, an S3 bucket.
fn dbt_style_project(dir: &Path, s3_url: &str) -> std::path::PathBuf {
    let text = format!(
        r#"[warehouse]
type = "files"

[output]
s3_endpoint = "${{TEST_S3_ENDPOINT}}"

[domains.ecommerce]
plugin = "{ecommerce}"
input = "ecommerce.parquet"

[domains.media]
plugin = "{media}"
input = "media.csv"

[vars]
tables_to_export = [
  "snowplow_recommendations_ecommerce_interactions",
  "snowplow_recommendations_ecommerce_items",
  "snowplow_recommendations_media_interactions",
]
s3_bucket = "{s3_url}"
ecommerce_start_date = "2024-03-01"
ecommerce_end_date = "2024-03-10"
media_start_date = "2024-03-01"
media_end_date = "2024-03-10"
look_back_days = 31
ecommerce_product_categories_separator = "/"
"#,
        ecommerce = path_arg(&guests().ecommerce),
        media = path_arg(&guests().media),
    );
    let path = dir.join("rechost.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn moto_env() -> Vec<(&'static str, String)> {
    let mut env = aws_env(&moto().writer);
    env.push(("TEST_S3_ENDPOINT", moto().endpoint.clone()));
    env
}

#[test]
fn a_dbt_style_project_runs_both_domains_into_s3_like_separate_runs() {
    let dir = tempfile::tempdir().unwrap();
    let separate = inputs_and_separate_runs(dir.path());
    let url = format!("s3://{}/project", moto().bucket);
    let config = dbt_style_project(dir.path(), &url);
    let run = rechost_with_env(
        ["run", "--config", &path_arg(&config), "--json"],
        moto_env(),
    );
    run.assert_ok();
    let summary = run.json();
    let statuses: Vec<(&str, &str)> = (summary["domains"].as_array().unwrap().iter())
        .map(|d| (d["domain"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("ecommerce", "ready"), ("media", "ready")]);

    let uploaded = Checker::new(moto()).objects("project");
    let expected: Vec<(String, Vec<u8>)> = snapshot(&separate)
        .into_iter()
        .filter(|(key, _)| !key.starts_with(ECOMMERCE_USERS))
        .collect();
    assert_eq!(
        uploaded.iter().map(|o| &o.0).collect::<Vec<_>>(),
        expected.iter().map(|o| &o.0).collect::<Vec<_>>(),
        "the users dataset is not in tables_to_export, so it is not written"
    );
    for ((key, got), (_, want)) in uploaded.iter().zip(&expected) {
        if key == ECOMMERCE_READINESS {
            // Readiness covers what was written: the same interactions, no users dataset.
            let got: serde_json::Value = serde_json::from_slice(got).unwrap();
            let want: serde_json::Value = serde_json::from_slice(want).unwrap();
            assert_eq!(got["interactions"], want["interactions"]);
            assert_eq!(got["ready"], want["ready"]);
            let names: Vec<&str> = (got["datasets"].as_array().unwrap().iter())
                .map(|d| d["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                names,
                [
                    "snowplow_recommendations_ecommerce_interactions",
                    "snowplow_recommendations_ecommerce_items"
                ]
            );
        } else if key == ECOMMERCE_PAGE {
            // The page, too, covers what was written: the separate run's names the users.
            let (got, want) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
            assert!(want.contains(ECOMMERCE_USERS) && !got.contains(ECOMMERCE_USERS));
        } else {
            assert!(got == want, "{key} differs from the separate run's");
        }
    }

    // A flag overrides the file's output: the same project into a local folder.
    let local = dir.path().join("local");
    let run = rechost_with_env(
        [
            "run",
            "--config",
            &path_arg(&config),
            "--out",
            &path_arg(&local),
        ],
        moto_env(),
    );
    run.assert_ok();
    for needle in [
        "ecommerce",
        "media",
        "READY",
        "snowplow_recommendations_media_interactions",
    ] {
        assert!(
            run.stdout.contains(needle),
            "table lacks {needle}:\n{}",
            run.stdout
        );
    }
    let local_files: Vec<String> = snapshot(&local).into_iter().map(|f| f.0).collect();
    assert_eq!(
        local_files,
        uploaded.iter().map(|o| o.0.clone()).collect::<Vec<_>>()
    );
}

#[test]
fn readiness_without_exported_interactions_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    sample("ecommerce", 5_000, &dir.path().join("e.parquet"));
    let text = format!(
        "[output]\npath = \"out\"\n[window]\nstart_date = \"2024-03-01\"\nend_date = \"2024-03-10\"\n\
         [domains.ecommerce]\nplugin = \"{}\"\ninput = \"e.parquet\"\n\
         export = [\"snowplow_recommendations_ecommerce_items\"]\n",
        path_arg(&guests().ecommerce)
    );
    let config = dir.path().join("rechost.toml");
    std::fs::write(&config, text).unwrap();
    let run = rechost(["run", "--config", &path_arg(&config), "--require-ready"]);
    assert_eq!(run.code, Some(3), "{}\n{}", run.stdout, run.stderr);
    let written: Vec<String> = snapshot(&dir.path().join("out"))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(
        written,
        [
            ECOMMERCE_PAGE,
            ECOMMERCE_READINESS,
            "snowplow_recommendations_ecommerce_items/personalize-dataset.csv",
            "snowplow_recommendations_ecommerce_items/personalize-dataset.parquet",
            "snowplow_recommendations_ecommerce_items/schema.avsc",
        ]
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out").join(ECOMMERCE_READINESS)).unwrap(),
    )
    .unwrap();
    assert_eq!(report["ready"], false);
    assert!(
        report["minimum"]["problems"][0]
            .as_str()
            .unwrap()
            .contains("no interactions dataset"),
        "{report}"
    );
}

#[test]
fn file_errors_name_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rechost.toml");
    let plugin = path_arg(&guests().ecommerce);
    let zeros = "0".repeat(64);
    let cases = [
        (
            format!(
                "[domains.ecommerce]\nplugin = \"{plugin}\"\ninput = \"x\"\ncategory_separator = \"/\"\n"
            ),
            vec![":4: unknown field `category_separator`", "`options`"],
        ),
        (
            format!(
                "[warehouse]\ntype = \"snowflake\"\nconnection = \"prod\"\npassword = \"hunter2\"\n[domains.e]\nplugin = \"{plugin}\"\n"
            ),
            vec![
                ":4: `warehouse.password` names a secret",
                "connections.toml",
            ],
        ),
        (
            format!(
                "[output]\npath = \"s3://${{RECHOST_TEST_UNSET}}/x\"\n[domains.e]\nplugin = \"{plugin}\"\ninput = \"x\"\n"
            ),
            vec![":2: environment variable RECHOST_TEST_UNSET is not set"],
        ),
        (
            format!(
                "[domains.e]\nplugin = \"{plugin}\"\ninput = \"x\"\nsha256 = \"{}\"\n",
                "0".repeat(64)
            ),
            vec!["domain e:", &zeros, ":4 pins"],
        ),
        (
            format!(
                "[domains.e]\nplugin = \"{plugin}\"\ninput = \"x\"\nexport = [\"snowplow_recommendations_media_interactions\"]\n"
            ),
            vec![
                ":4: domains.e.export: `snowplow_recommendations_media_interactions` is not a dataset",
                "snowplow_recommendations_ecommerce_users",
            ],
        ),
    ];
    for (text, needles) in cases {
        std::fs::write(&config, &text).unwrap();
        for command in ["run", "config"] {
            let run = rechost([command, "--config", &path_arg(&config)]);
            run.assert_failed_with(1, &needles);
            assert_eq!(
                run.stderr.trim().lines().count(),
                1,
                "one line:\n{}",
                run.stderr
            );
            assert!(!run.stderr.contains("hunter2"));
        }
    }
}

#[test]
fn config_shows_every_resolved_value_and_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rechost.toml");
    let text = format!(
        "[window]\nlook_back_days = 14\n\n[output]\npath = \"s3://${{RECS_BUCKET}}/recs\"\n\n\
         [domains.ecommerce]\nplugin = \"{}\"\ninput = \"data/\"\n\n\
         [domains.media]\nplugin = \"{}\"\ninput = \"media/\"\nenabled = false\n\n\
         [vars]\ntables_to_export = [\"snowplow_recommendations_ecommerce_items\"]\n",
        path_arg(&guests().ecommerce),
        path_arg(&guests().media),
    );
    std::fs::write(&config, text).unwrap();
    let file = path_arg(&config);
    let run = rechost_with_env(["config", "--config", &file], [("RECS_BUCKET", "b1")]);
    run.assert_ok();
    let expect = [
        ("warehouse.type", "files", "from default".to_string()),
        ("warehouse.pushdown", "false", "from default".into()),
        (
            "output.path",
            "s3://b1/recs (S3)",
            format!("from ${{RECS_BUCKET}} at {file}:5"),
        ),
        (
            "domains.ecommerce.window",
            "last 14 days",
            format!("from {file}:2"),
        ),
        (
            "domains.ecommerce.source",
            "files ",
            format!("from {file}:9"),
        ),
        (
            "domains.ecommerce.export",
            "snowplow_recommendations_ecommerce_items",
            format!("from {file}:17 (dbt variable tables_to_export)"),
        ),
        (
            "domains.ecommerce.options.category-separator",
            "\"/\"",
            "from plugin default".into(),
        ),
        ("domains.ecommerce.sha256", "", "not pinned".into()),
        ("domains.media", "disabled", format!("from {file}:14")),
    ];
    for (key, value, origin) in expect {
        let line = (run.stdout.lines())
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in:\n{}", run.stdout));
        assert!(
            line.contains(value) && line.ends_with(&origin),
            "{key}: {line:?}"
        );
    }
    let json = rechost_with_env(
        ["config", "--config", &file, "--json"],
        [("RECS_BUCKET", "b1")],
    );
    json.assert_ok();
    let json = json.json();
    assert_eq!(json["output"]["value"]["s3"], "s3://b1/recs");
    assert_eq!(
        json["output"]["from"],
        format!("${{RECS_BUCKET}} at {file}:5")
    );
    assert_eq!(
        json["domains"][0]["datasets"]["value"][0],
        "snowplow_recommendations_ecommerce_items"
    );
}

#[test]
fn init_writes_a_commented_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rechost.toml");
    let file = path_arg(&config);
    rechost(["init", "--warehouse", "snowflake", "--config", &file]).assert_ok();
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("type = \"snowflake\"") && text.contains("# "),
        "{text}"
    );
    rechost(["init", "--config", &file]).assert_failed_with(1, &["already exists", "--force"]);
    rechost(["init", "--config", &file, "--force"]).assert_ok();
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("type = \"files\"")
    );
}
