use std::path::Path;

use super::dbt::DBT_VARIABLES;
use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn resolve_text(text: &str) -> Result<Project, ProjectError> {
    resolve(
        Path::new("proj/rechost.toml"),
        text,
        &Overrides::default(),
        &no_env,
    )
}

fn line(origin: &Origin) -> usize {
    match origin {
        Origin::File { line, .. } | Origin::Env { line, .. } => *line,
        other => panic!("not from the file: {other}"),
    }
}

/// The dbt package's documented setup, written with its variable names.
const DBT_STYLE: &str = r#"[warehouse]
type = "files"

[domains.ecommerce]
plugin = "plugins/ecommerce.wasm"
input = "data/ecommerce.parquet"

[domains.media]
plugin = "plugins/media.wasm"
input = "data/media.parquet"

[vars]
tables_to_export = ["snowplow_recommendations_ecommerce_interactions", "snowplow_recommendations_ecommerce_items"]
s3_bucket = "s3://bucket/recs"
ecommerce_start_date = "2024-03-01"
ecommerce_end_date = "2024-03-10"
media_start_date = ""
media_end_date = ""
media_look_back_days = 7
look_back_days = 31
ecommerce_product_categories_separator = "/"
"#;

#[test]
fn dbt_variables_land_on_their_keys_with_their_lines() {
    let p = resolve_text(DBT_STYLE).unwrap();
    let output = p.output.unwrap();
    assert_eq!(output.value, OutputTarget::S3("s3://bucket/recs".into()));
    assert_eq!(
        output.from.to_string(),
        "proj/rechost.toml:14 (dbt variable s3_bucket)"
    );
    let export = p.tables_to_export.unwrap();
    assert_eq!(export.value.len(), 2);
    assert_eq!(line(&export.from), 13);
    let [ecommerce, media] = &p.domains[..] else {
        panic!("two domains")
    };
    assert_eq!(
        ecommerce.plugin.value,
        Path::new("proj/plugins/ecommerce.wasm")
    );
    assert_eq!(
        ecommerce.source.value,
        DomainSource::Files("proj/data/ecommerce.parquet".into())
    );
    let start = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let end = chrono::NaiveDate::from_ymd_opt(2024, 3, 10).unwrap();
    assert_eq!(ecommerce.window.value, WindowSpec::Dates { start, end });
    assert_eq!(line(&ecommerce.window.from), 15);
    // '' dates are unset, as in dbt: the domain's own look-back applies.
    assert_eq!(media.window.value, WindowSpec::LookBackDays(7));
    assert_eq!(line(&media.window.from), 19);
    assert_eq!(
        ecommerce.options[0].value,
        ("category-separator".into(), "/".into())
    );
    assert_eq!(p.warehouse.value, WarehouseKind::Files);
    assert_eq!(line(&p.warehouse.from), 2);
    assert_eq!(p.pushdown.from, Origin::Default);
}

#[test]
fn a_misspelt_key_names_its_line_and_the_known_keys() {
    let text =
        "[domains.ecommerce]\nplugin = \"e.wasm\"\ninput = \"x\"\ncatgory_separator = \"/\"\n";
    let e = resolve_text(text).unwrap_err().to_string();
    assert!(
        e.starts_with("proj/rechost.toml:4: unknown field `catgory_separator`"),
        "{e}"
    );
    assert!(e.contains("`options`") && e.contains("`export`"), "{e}");
    let e = resolve_text("[windw]\nlook_back_days = 3\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("proj/rechost.toml:1: unknown field `windw`"),
        "{e}"
    );
    let e = resolve_text("[vars]\nsnowflake_stage = \"s\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("proj/rechost.toml:2: unknown dbt variable `snowflake_stage`"),
        "{e}"
    );
    assert!(e.contains("snowflake_stage_name"), "{e}");
    assert!(!e.contains('\n'), "one line: {e}");
}

#[test]
fn env_references_expand_and_name_their_line_when_unset() {
    let text = "[output]\npath = \"s3://${BUCKET}/recs\"\n[domains.e]\nplugin = \"e.wasm\"\ninput = \"x\"\n";
    let env = |k: &str| (k == "BUCKET").then(|| "b1".to_string());
    let p = resolve(Path::new("r.toml"), text, &Overrides::default(), &env).unwrap();
    let output = p.output.unwrap();
    assert_eq!(output.value, OutputTarget::S3("s3://b1/recs".into()));
    assert_eq!(output.from.to_string(), "${BUCKET} at r.toml:2");
    let e = resolve(Path::new("r.toml"), text, &Overrides::default(), &no_env).unwrap_err();
    assert_eq!(
        e.to_string(),
        "r.toml:2: environment variable BUCKET is not set (used as ${BUCKET})"
    );
}

#[test]
fn secrets_are_refused_with_their_line() {
    let text = "[warehouse]\ntype = \"snowflake\"\nconnection = \"prod\"\npassword = \"${PW}\"\n";
    let e = resolve_text(text).unwrap_err().to_string();
    assert!(
        e.starts_with("proj/rechost.toml:4: `warehouse.password` names a secret"),
        "{e}"
    );
    assert!(
        e.contains("connections.toml") && !e.contains("${PW}"),
        "{e}"
    );
}

#[test]
fn flags_win_over_the_file() {
    let text = "[window]\nlook_back_days = 3\n[output]\npath = \"out\"\n[domains.e]\nplugin = \"e.wasm\"\ninput = \"x\"\nlook_back_days = 5\n";
    let flags = Overrides {
        out: Some("s3://other/x".into()),
        window: Some((WindowSpec::LookBackDays(9), "--look-back-days")),
        ..Overrides::default()
    };
    let p = resolve(Path::new("r.toml"), text, &flags, &no_env).unwrap();
    assert_eq!(p.output.unwrap().from, Origin::Flag("--out"));
    assert_eq!(p.domains[0].window.value, WindowSpec::LookBackDays(9));
    assert_eq!(p.domains[0].window.from, Origin::Flag("--look-back-days"));
    let p = resolve(Path::new("r.toml"), text, &Overrides::default(), &no_env).unwrap();
    assert_eq!(p.domains[0].window.value, WindowSpec::LookBackDays(5));
    assert_eq!(p.output.unwrap().value, OutputTarget::Local("out".into()));
}

#[test]
fn a_key_set_twice_names_both_lines() {
    let text = "[output]\npath = \"out\"\n[domains.e]\nplugin = \"e.wasm\"\ninput = \"x\"\n[vars]\ns3_bucket = \"s3://b\"\n";
    let e = resolve_text(text).unwrap_err().to_string();
    assert_eq!(
        e,
        "output.path is set twice: at proj/rechost.toml:2 and at proj/rechost.toml:7 (dbt variable s3_bucket) (keep one)"
    );
}

#[test]
fn combinations_that_cannot_run_are_refused() {
    let cases = [
        (
            "[warehouse]\npushdown = true\n",
            "pushdown runs in a warehouse",
        ),
        (
            "[output]\npath = \"@stage/x\"\n",
            "is written by the warehouse",
        ),
        (
            "[window]\nstart_date = \"2024-03-02\"\n",
            "start_date and end_date go together",
        ),
        (
            "[vars]\nexternal_catalog = \"c\"\n",
            "not Databricks external tables",
        ),
        (
            "[vars]\nmedia_player_source = \"t\"\n",
            "does not declare (add [domains.media])",
        ),
    ];
    for (extra, needle) in cases {
        let text = format!("[domains.e]\nplugin = \"e.wasm\"\ninput = \"x\"\n{extra}");
        let e = resolve_text(&text).unwrap_err().to_string();
        assert!(e.contains(needle), "{extra}: {e}");
    }
    let text = "[warehouse]\ntype = \"databricks\"\n[domains.e]\nplugin = \"e.wasm\"\n";
    let e = resolve_text(text).unwrap_err().to_string();
    assert!(e.contains("set warehouse.pushdown = true"), "{e}");
    let e = resolve_text("[domains.e]\nplugin = \"e.wasm\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("domains.e.input is required"), "{e}");
    let e = resolve_text("[domains.e]\nenabled = false\nplugin = \"e.wasm\"\n").unwrap_err();
    assert!(matches!(e, ProjectError::NoDomain { .. }), "{e}");
}

#[test]
fn every_template_resolves() {
    for kind in [
        WarehouseKind::Files,
        WarehouseKind::Snowflake,
        WarehouseKind::Databricks,
    ] {
        let p = resolve_text(&template::render(kind))
            .unwrap_or_else(|e| panic!("{kind:?} template: {e}"));
        assert_eq!(p.warehouse.value, kind);
        assert_eq!(p.domains.len(), 2);
    }
}

#[test]
fn the_readme_documents_every_dbt_variable() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for var in DBT_VARIABLES {
        let row = match var.key {
            "" => format!("| `{}` | not accepted", var.name),
            key => format!("| `{}` | `{key}` |", var.name),
        };
        assert!(readme.contains(&row), "README lacks the row {row}");
    }
}
