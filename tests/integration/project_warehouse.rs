//! Project files with a warehouse: a Snowflake-sourced project (fakesnow) writes what a local
//! run writes; a pushdown project prints each domain's SQL for its exported datasets only.

use crate::harness::*;

#[test]
fn a_snowflake_project_reads_the_warehouse_like_a_local_run() {
    let Some(fixture) = shared_fixture("snowplow_ecommerce_product_interactions.csv") else {
        return;
    };
    let server = crate::fakesnow::fakesnow();
    let table = "SNOWPLOW.DERIVED.PROJECT_ECOMMERCE_INTERACTIONS";
    server.load(table, crate::fakesnow::ECOMMERCE_COLUMNS, &fixture);
    let home = server.snowflake_home("snowplow", "snowplow", "derived", &server.password);
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[window]\nstart_date = \"2022-01-01\"\nend_date = \"2022-12-31\"\n\
         [warehouse]\ntype = \"snowflake\"\nconnection = \"snowplow\"\n\
         [output]\npath = \"from-snowflake\"\n\
         [domains.ecommerce]\nplugin = \"{}\"\n\
         [vars]\necommerce_product_source = \"{}\"\n",
        path_arg(&guests().ecommerce),
        table.to_ascii_lowercase()
    );
    let config = dir.path().join("rechost.toml");
    std::fs::write(&config, text).unwrap();
    rechost_with_env(
        ["run", "--config", &path_arg(&config), "--quiet"],
        [("SNOWFLAKE_HOME", path_arg(home.path()))],
    )
    .assert_ok();
    let local = dir.path().join("local");
    rechost([
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(&fixture),
        "--out",
        &path_arg(&local),
        "--quiet",
        "--start-date",
        "2022-01-01",
        "--end-date",
        "2022-12-31",
    ])
    .assert_ok();
    let got = snapshot(&dir.path().join("from-snowflake"));
    let want = snapshot(&local);
    assert_eq!(
        got.len(),
        11,
        "3 datasets x 3 files + readiness (JSON and HTML)"
    );
    assert!(
        got == want,
        "the project run from Snowflake differs from the local run"
    );
}

#[test]
fn a_pushdown_project_prints_each_domains_sql_for_the_exported_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[warehouse]\ntype = \"snowflake\"\npushdown = true\nudf_schema = \"analytics.recs\"\n\
         [window]\nstart_date = \"2024-03-01\"\nend_date = \"2024-03-10\"\n\
         [domains.ecommerce]\nplugin = \"{}\"\n\
         [domains.media]\nplugin = \"{}\"\n\
         [vars]\nsnowflake_stage_name = \"analytics.recs.unload\"\n\
         tables_to_export = [\"snowplow_recommendations_ecommerce_items\", \
         \"snowplow_recommendations_media_interactions\"]\n",
        path_arg(&guests().ecommerce),
        path_arg(&guests().media),
    );
    let config = dir.path().join("rechost.toml");
    std::fs::write(&config, text).unwrap();
    let run = rechost(["run", "--config", &path_arg(&config), "--dry-run"]);
    run.assert_ok();
    for needle in [
        "-- domain ecommerce",
        "-- domain media",
        // The all-datasets function; items keeps its tag (its position in the manifest).
        "analytics.recs.rechost_snowplow_ecommerce_all_datasets(",
        "WHERE a.\"RECHOST_DATASET\" = 3\n",
        "COPY INTO @analytics.recs.unload/snowplow_recommendations_ecommerce_items/personalize-dataset.csv",
        "COPY INTO @analytics.recs.unload/snowplow_recommendations_media_interactions/personalize-dataset.parquet",
    ] {
        assert!(
            run.stdout.contains(needle),
            "SQL lacks {needle:?}:\n{}",
            run.stdout
        );
    }
    for absent in ["ecommerce_interactions", "ecommerce_users"] {
        assert!(
            !run.stdout.contains(absent),
            "{absent} is not exported:\n{}",
            run.stdout
        );
    }
}
