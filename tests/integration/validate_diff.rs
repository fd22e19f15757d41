//! `rechost validate` on crafted defects and whole outputs, `rechost diff` between runs.

use std::collections::BTreeSet;
use std::path::Path;

use crate::harness::*;
use crate::readiness::run_window;

const INTERACTIONS: &str = "snowplow_recommendations_ecommerce_interactions";

/// A dataset folder with `schema` and one CSV file of `csv`.
fn crafted(root: &Path, name: &str, schema: &str, csv: &str) -> std::path::PathBuf {
    let folder = root.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("schema.avsc"), schema).unwrap();
    std::fs::write(folder.join("data.csv"), csv).unwrap();
    folder
}

const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","version":"1.0","fields":[
    {"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
    {"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}]}"#;
const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","fields":[
    {"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true}]}"#;

/// One crafted defect: folder name, schema, CSV, what the error says, the line it names.
type Defect = (
    &'static str,
    &'static str,
    String,
    &'static str,
    Option<u64>,
);

fn defects() -> Vec<Defect> {
    let long_id = "u".repeat(257);
    let long_category = "c".repeat(1001);
    let many_types: String = (0..11)
        .map(|t| format!("u{t},i,1700000000,type{t}\n"))
        .collect();
    // (folder, schema, csv, what the error names, line)
    vec![
        (
            "long_id",
            INTERACTIONS_SCHEMA,
            format!("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1,View\n{long_id},i1,2,View\n"),
            "USER_ID is 257 characters",
            Some(3),
        ),
        (
            "quote",
            INTERACTIONS_SCHEMA,
            "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n\"u\\\"1\",i1,1,View\n".into(),
            "USER_ID contains a `\"`",
            Some(2),
        ),
        (
            "multiline",
            INTERACTIONS_SCHEMA,
            "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,\"i\n1\",1,View\nu2,i2,2,View\n".into(),
            "line break",
            Some(2),
        ),
        (
            "header",
            INTERACTIONS_SCHEMA,
            "USER_ID,ITEM,TIMESTAMP,EVENT_TYPE\nu1,i1,1,View\n".into(),
            "differs from the schema",
            Some(1),
        ),
        (
            "timestamp",
            INTERACTIONS_SCHEMA,
            "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,2024-01-01,View\n".into(),
            "TIMESTAMP = \"2024-01-01\" is not a Long",
            Some(2),
        ),
        (
            "empty_id",
            INTERACTIONS_SCHEMA,
            "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,,1,View\n".into(),
            "ITEM_ID is empty",
            Some(2),
        ),
        (
            "fields",
            INTERACTIONS_SCHEMA,
            "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1\n".into(),
            "3 fields, the header has 4",
            Some(2),
        ),
        (
            "event_types",
            INTERACTIONS_SCHEMA,
            format!("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n{many_types}"),
            "11 event types + 1 optional metadata columns = 12",
            None,
        ),
        (
            "category",
            ITEMS_SCHEMA,
            format!("ITEM_ID,GENRE\ni1,{long_category}\n"),
            "GENRE is 1001 characters",
            Some(2),
        ),
        (
            "boolean",
            r#"{"type":"record","name":"Users","fields":[{"name":"USER_ID","type":"string"},{"name":"GUEST","type":"boolean"}]}"#,
            "USER_ID,GUEST\nu1,true\n".into(),
            "a boolean does not count",
            None,
        ),
    ]
}

#[test]
fn validate_names_file_and_line_of_each_defect() {
    let dir = tempfile::tempdir().unwrap();
    for (name, schema, csv, needle, line) in &defects() {
        let folder = crafted(dir.path(), name, schema, csv);
        let run = rechost(["validate", &path_arg(&folder), "--json"]);
        assert_eq!(run.code, Some(1), "{name}: {}{}", run.stdout, run.stderr);
        let result = run.json();
        let problems = result["problems"].as_array().unwrap();
        let found = problems
            .iter()
            .find(|p| p["message"].as_str().unwrap().contains(needle));
        let found = found
            .unwrap_or_else(|| panic!("{name}: no problem mentions {needle:?}: {problems:#?}"));
        assert_eq!(found["severity"], "error", "{name}");
        if let Some(line) = line {
            assert_eq!(found["line"], *line, "{name}: {found}");
            assert!(
                found["file"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("{name}/data.csv")),
                "{found}"
            );
        }
        // The text form names file:line too.
        let text = rechost(["validate", &path_arg(&folder)]);
        if let Some(line) = line {
            assert!(
                text.stdout.contains(&format!("data.csv:{line}: ")),
                "{name}: {}",
                text.stdout
            );
        }
    }
    let fine = crafted(
        dir.path(),
        "fine",
        INTERACTIONS_SCHEMA,
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1,View\n",
    );
    let run = rechost(["validate", &path_arg(&fine)]);
    run.assert_ok();
    assert!(
        run.stdout.contains("warning") && run.stdout.contains("needs at least 1000"),
        "{}",
        run.stdout
    );
}

#[test]
fn validate_accepts_a_whole_rechost_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 5_000, &input);
    let out = dir.path().join("out");
    run_ecommerce_locally(&input, &out).assert_ok();
    let run = rechost(["validate", &path_arg(&out), "--json"]);
    run.assert_ok();
    assert_eq!(run.json()["datasets"].as_array().unwrap().len(), 3);
}

fn ids(out: &Path, column: usize) -> BTreeSet<String> {
    let rows = read_csv(&out.join(INTERACTIONS).join("personalize-dataset.csv"));
    rows[1..].iter().map(|r| r[column].clone()).collect()
}

#[test]
fn diff_shows_counts_and_ids_gained_and_lost() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    sample("ecommerce", 20_000, &input);
    let (early, late) = (dir.path().join("early"), dir.path().join("late"));
    run_window(&input, &early, "2024-03-01", "2024-03-05", &[]).assert_ok();
    run_window(
        &input,
        &late,
        "2024-03-04",
        "2024-03-10",
        &["--previous", &path_arg(&early)],
    )
    .assert_ok();
    let run = rechost(["diff", &path_arg(&early), &path_arg(&late), "--json"]);
    run.assert_ok();
    let diff = run.json();
    for (column, gained, lost) in [
        (0, "users_gained", "users_lost"),
        (1, "items_gained", "items_lost"),
    ] {
        let (a, b) = (ids(&early, column), ids(&late, column));
        assert_eq!(diff[gained], b.difference(&a).count(), "{gained}");
        assert_eq!(diff[lost], a.difference(&b).count(), "{lost}");
    }
    let interactions =
        |out: &Path| read_csv(&out.join(INTERACTIONS).join("personalize-dataset.csv")).len() - 1;
    let change = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "interactions")
        .unwrap();
    assert_eq!(change["old"], interactions(&early).to_string());
    assert_eq!(change["new"], interactions(&late).to_string());
    let last = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "last interaction")
        .unwrap();
    assert_eq!(last["old"], "2024-03-05");
    assert_eq!(last["new"], "2024-03-10");
    assert_eq!(last["change"], "+5 days");
    // Two reports compare counts, but cannot know ids.
    let reports = rechost([
        "diff",
        &path_arg(&early.join("readiness-ecommerce.json")),
        &path_arg(&late.join("readiness-ecommerce.json")),
    ]);
    reports.assert_ok();
    assert!(
        reports.stdout.contains("unknown (a report has no ids)"),
        "{}",
        reports.stdout
    );
    // The run given --previous shows the same comparison in its page.
    let page = std::fs::read_to_string(late.join("readiness-ecommerce.html")).unwrap();
    assert!(page.contains("Since the previous run"));
    for (what, key, sign) in [
        ("users gained", "users_gained", "+"),
        ("users lost", "users_lost", "-"),
    ] {
        let row = format!(
            "<td>{what}</td><td class=\"num\"></td><td class=\"num\"></td><td class=\"num\">{sign}{}</td>",
            diff[key]
        );
        assert!(page.contains(&row), "{row} not in the page");
    }
}
