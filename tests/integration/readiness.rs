//! The readiness report's statistics and page, CSV parts under `--max-file-size`,
//! `rechost validate` on crafted defects and `rechost diff` between runs.

use std::path::Path;

use crate::harness::*;

const INTERACTIONS: &str = "snowplow_recommendations_ecommerce_interactions";

pub fn run_window(input: &Path, out: &Path, start: &str, end: &str, extra: &[&str]) -> Run {
    let args = [
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(input),
        "--out",
        &path_arg(out),
        "--start-date",
        start,
        "--end-date",
        end,
        "--quiet",
    ];
    rechost(args.iter().copied().chain(extra.iter().copied()))
}

#[test]
fn fixture_report_has_the_statistics_and_a_page_beside_it() {
    let Some(fixture) = shared_fixture("snowplow_ecommerce_product_interactions.csv") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    run_window(&fixture, out.path(), "2022-01-01", "2022-12-31", &[]).assert_ok();
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("readiness-ecommerce.json")).unwrap(),
    )
    .unwrap();
    let i = &report["interactions"];
    // Independent counts from the written interactions.
    let rows = read_csv(
        &out.path()
            .join(INTERACTIONS)
            .join("personalize-dataset.csv"),
    );
    let mut per_user = std::collections::HashMap::<&str, u64>::new();
    let mut per_day = std::collections::BTreeMap::<String, u64>::new();
    for r in &rows[1..] {
        *per_user.entry(&r[0]).or_default() += 1;
        let t: i64 = r[2].parse().unwrap();
        let day = chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive();
        *per_day.entry(day.to_string()).or_default() += 1;
    }
    let single = per_user.values().filter(|&&n| n == 1).count() as u64;
    assert_eq!(i["users_with_1_interaction"], single);
    assert_eq!(i["interactions_per_user"][0]["users"], single);
    let days = i["per_day"].as_array().unwrap();
    let with_data: std::collections::BTreeMap<String, u64> = days
        .iter()
        .filter_map(|d| {
            let total: u64 = d["per_event_type"]
                .as_object()?
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            (total > 0).then(|| (d["date"].as_str().unwrap().to_string(), total))
        })
        .collect();
    assert_eq!(with_data, per_day);
    let top10 = i["item_popularity"]["top_10_percent_share"]
        .as_f64()
        .unwrap();
    assert!(top10 > 0.0 && top10 <= 1.0, "{top10}");
    assert_eq!(report["import_fit"][0]["parts"], 1);
    assert_eq!(report["import_fit"][0]["full"], true);
    assert!(report["checks"].as_array().unwrap().len() > 5);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("only 17 `Purchase` interactions"),
        "{warnings}"
    );

    let page = std::fs::read_to_string(out.path().join("readiness-ecommerce.html")).unwrap();
    assert!(page.contains("Not ready"));
    assert!(page.contains("395 interactions, Personalize needs at least 1000"));
    assert!(!page.contains("<script"), "no script in the page");
    for fetch in ["<link", " src=", "href=", "url(", "@import"] {
        assert!(!page.contains(fetch), "the page fetches nothing: {fetch}");
    }
    assert!(page.contains(&report["plugin"]["sha256"].as_str().unwrap().to_string()));
}

/// The CSV records of every part in a dataset folder, part by part (header included).
fn parts(folder: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| (n.clone(), read_csv(&folder.join(&n))))
        .collect()
}

#[test]
fn csv_parts_stay_under_the_limit_and_concatenate_to_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 20_000, &input);
    let (whole, split) = (dir.path().join("whole"), dir.path().join("split"));
    let [start, end] = [SAMPLE_WINDOW[1], SAMPLE_WINDOW[3]];
    run_window(&input, &whole, start, end, &[]).assert_ok();
    run_window(&input, &split, start, end, &["--max-file-size", "64KiB"]).assert_ok();
    let whole_rows = read_csv(&whole.join(INTERACTIONS).join("personalize-dataset.csv"));
    let parts = parts(&split.join(INTERACTIONS));
    assert!(parts.len() > 3, "{} parts", parts.len());
    assert_eq!(parts[0].0, "personalize-dataset.csv");
    assert_eq!(parts[1].0, "personalize-dataset_00002.csv");
    let mut joined = vec![whole_rows[0].clone()];
    for (name, rows) in &parts {
        assert_eq!(rows[0], whole_rows[0], "{name} starts with the header");
        let bytes = std::fs::metadata(split.join(INTERACTIONS).join(name))
            .unwrap()
            .len();
        assert!(bytes <= 65_536, "{name}: {bytes} bytes");
        joined.extend(rows[1..].iter().cloned());
    }
    assert_same_rows(&joined, &whole_rows);
    // The report points the import at the folder, trailing slash included.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(split.join("readiness-ecommerce.json")).unwrap())
            .unwrap();
    let fit = report["import_fit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["dataset"] == INTERACTIONS)
        .unwrap();
    assert_eq!(fit["parts"], parts.len());
    assert!(
        fit["import_from"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{INTERACTIONS}/"))
    );
    // The parts validate as one folder.
    rechost(["validate", &path_arg(&split.join(INTERACTIONS))]).assert_ok();
    // A later run with fewer parts leaves no stale part behind.
    run_window(&input, &split, start, end, &[]).assert_ok();
    let after: Vec<String> = self::parts(&split.join(INTERACTIONS))
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(after, ["personalize-dataset.csv"]);
}

#[test]
fn s3_output_has_the_page_and_parts_that_validate_in_place() {
    use crate::moto::{Checker, aws_env, moto};
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 20_000, &input);
    let url = format!("s3://{}/readiness-split", moto().bucket);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            path_arg(&guests().ecommerce),
            "--input".into(),
            path_arg(&input),
            "--out".into(),
            url.clone(),
            "--s3-endpoint".into(),
            moto().endpoint.clone(),
            "--quiet".into(),
        ];
        args.extend(SAMPLE_WINDOW.iter().chain(extra).map(|s| s.to_string()));
        rechost_with_env(args, aws_env(&moto().writer))
    };
    run(&["--max-file-size", "64KiB"]).assert_ok();
    let keys = |prefix: &str| -> Vec<String> {
        Checker::new(moto())
            .objects(prefix)
            .into_iter()
            .map(|o| o.0)
            .collect()
    };
    let objects = keys("readiness-split");
    assert!(
        objects.contains(&"readiness-ecommerce.html".to_string()),
        "{objects:?}"
    );
    let parts = objects
        .iter()
        .filter(|k| k.starts_with(INTERACTIONS) && k.ends_with(".csv"))
        .count();
    assert!(parts > 3, "{objects:?}");
    let validate = rechost_with_env(
        [
            "validate",
            &url,
            "--s3-endpoint",
            &moto().endpoint,
            "--json",
        ],
        aws_env(&moto().writer),
    );
    validate.assert_ok();
    let result = validate.json();
    let interactions = (result["datasets"].as_array().unwrap().iter())
        .find(|d| d["import_fit"]["dataset"] == INTERACTIONS)
        .unwrap()
        .clone();
    assert_eq!(interactions["parts"].as_array().unwrap().len(), parts);
    // Without the limit the next run writes one file and removes the stale parts.
    run(&[]).assert_ok();
    let after = keys("readiness-split");
    let parts = after
        .iter()
        .filter(|k| k.starts_with(INTERACTIONS) && k.ends_with(".csv"))
        .count();
    assert_eq!(parts, 1, "{after:?}");
}
