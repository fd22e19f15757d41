//! The Databricks client and source against the local Databricks SQL warehouse (real Spark
//! behind the Statement Execution API, Files API and OAuth): results stream in many chunks and
//! the source yields exactly the rows a local read of the same data yields; every failure is
//! one clear line.

use arrow_array::RecordBatch;
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rechost::manifest::Manifest;
use rechost::source::{LocalSource, Source};
use rechost::warehouse::databricks::config::{Explicit, resolve};
use rechost::warehouse::databricks::{
    Databricks, DatabricksError, DatabricksSource, Progress, Settings,
};
use rechost::warehouse::{Warehouse, source_query};
use rechost::window::DateWindow;

use crate::databricks_server::*;
use crate::harness::guests;

fn manifest() -> &'static Manifest {
    static MANIFEST: OnceLock<Manifest> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        let options = rechost::plugin::LoadOptions::default();
        rechost::plugin::Plugin::load(&guests().ecommerce, &options)
            .unwrap()
            .manifest
    })
}

/// Settings as a user's environment gives them (no ~/.databrickscfg).
fn settings(warehouse: &str, env: Vec<(&'static str, String)>) -> Settings {
    let home = tempfile::tempdir().unwrap();
    let env: BTreeMap<&str, String> = env.into_iter().collect();
    let explicit = Explicit {
        warehouse_id: Some(warehouse.into()),
        ..Default::default()
    };
    resolve(&explicit, &|k: &str| env.get(k).cloned(), Some(home.path())).unwrap()
}

fn client(server: &Server, warehouse: &str) -> Databricks {
    Databricks::connect(&settings(warehouse, server.env(warehouse))).unwrap()
}

fn date(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

/// Every row of `batches` as text, sorted (row order is not part of the contract).
fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default()).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    rows.sort();
    rows
}

/// The same data read as a local file, in the window, as the pipeline sees it.
fn local_rows(file: &std::path::Path, window: &DateWindow) -> Vec<Vec<String>> {
    let spec = &manifest().source;
    let source = LocalSource::open(file.to_str().unwrap(), spec, 4096).unwrap();
    let batches: Vec<RecordBatch> = source
        .into_batches()
        .map(|b| window.apply(b.unwrap(), spec.time_index).0)
        .collect();
    rows(&batches)
}

/// Reads `table` through [`DatabricksSource`] and checks it equals the local read of `file`.
fn assert_source_matches(
    server: &Server,
    table: &str,
    file: &std::path::Path,
    window: DateWindow,
    min_chunks: usize,
) {
    let databricks = client(server, RUNNING);
    let (table, query) =
        source_query(Warehouse::Databricks, manifest(), Some(table), &window).unwrap();
    let stream = databricks.query(&query).unwrap();
    assert!(
        stream.chunk_count() >= min_chunks,
        "only {} chunks",
        stream.chunk_count()
    );
    drop(stream);

    let batch_size = 1000;
    let source =
        DatabricksSource::open(&databricks, &table, &query, &manifest().source, batch_size)
            .unwrap();
    let total = source.row_count_hint().unwrap();
    let batches: Vec<RecordBatch> = Box::new(source)
        .into_batches()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        batches[0].schema(),
        manifest().source.arrow_schema(),
        "manifest-shaped"
    );
    let sizes: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
    assert!(
        sizes[..sizes.len() - 1].iter().all(|&n| n == batch_size),
        "re-batched: {sizes:?}"
    );
    let got = rows(&batches);
    assert_eq!(got.len() as u64, total);
    let want = local_rows(file, &window);
    assert!(!want.is_empty());
    assert_eq!(
        got.len(),
        want.len(),
        "row count differs from the local read"
    );
    assert!(got == want, "rows differ from the local read");
}

#[test]
fn fixture_table_streams_in_chunks_and_equals_the_local_read() {
    let Some(server) = databricks() else { return };
    let Some(fixture) = &server.fixture else {
        eprintln!("SKIPPED: the shared fixtures are absent");
        return;
    };
    let window = DateWindow::between(date("2022-01-01"), date("2022-12-31")).unwrap();
    assert_source_matches(server, FIXTURE_TABLE, fixture, window, 2);
}

#[test]
fn sample_table_streams_in_many_chunks_and_equals_the_local_read() {
    let Some(server) = databricks() else { return };
    // The last 7 of the sample's 10 days: the window really filters.
    let window = DateWindow::between(date("2024-03-04"), date(SAMPLE_END)).unwrap();
    let min_chunks = (SAMPLE_ROWS as usize / 2) / CHUNK_ROWS;
    assert_source_matches(server, SAMPLE_TABLE, &server.sample, window, min_chunks);
}

#[track_caller]
fn assert_one_line(error: &DatabricksError, needles: &[&str]) -> String {
    let text = error.to_string();
    eprintln!("{text}");
    assert_eq!(text.lines().count(), 1, "not one line: {text}");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
    text
}

#[test]
fn wrong_token_and_wrong_oauth_secret_fail_in_one_line() {
    let Some(server) = databricks() else { return };
    let mut env = server.env(RUNNING);
    env[1].1 = "dapi-not-the-token".into();
    let databricks = Databricks::connect(&settings(RUNNING, env)).unwrap();
    let error = databricks.execute("SELECT 1").unwrap_err();
    let text = assert_one_line(
        &error,
        &[
            "Databricks authentication failed at",
            "Invalid access token",
        ],
    );
    assert!(!text.contains("dapi-not-the-token"));

    let oauth = |secret: &str| {
        let env = vec![
            ("DATABRICKS_HOST", server.host.clone()),
            ("DATABRICKS_CLIENT_ID", server.client_id.clone()),
            ("DATABRICKS_CLIENT_SECRET", secret.to_string()),
        ];
        Databricks::connect(&settings(RUNNING, env)).unwrap()
    };
    let answer = oauth(&server.client_secret)
        .query_inline("SELECT 40 + 2 AS answer")
        .unwrap();
    assert_eq!(
        (answer.columns, answer.rows),
        (
            vec!["answer".to_string()],
            vec![vec![Some("42".to_string())]]
        )
    );
    let error = oauth("wrong-secret").execute("SELECT 1").unwrap_err();
    let text = assert_one_line(
        &error,
        &[
            "OAuth token request for client",
            "Client authentication failed",
        ],
    );
    assert!(!text.contains("wrong-secret"));
}

#[test]
fn unknown_table_fails_naming_the_table_and_the_statement() {
    let Some(server) = databricks() else { return };
    let window = DateWindow::between(date("2022-01-01"), date("2022-12-31")).unwrap();
    let (_, query) = source_query(
        Warehouse::Databricks,
        manifest(),
        Some("main.snowplow.no_such_table"),
        &window,
    )
    .unwrap();
    let error = client(server, RUNNING).query(&query).err().unwrap();
    assert!(
        matches!(error, DatabricksError::UnknownTable { .. }),
        "{error:?}"
    );
    assert_one_line(
        &error,
        &[
            "TABLE_OR_VIEW_NOT_FOUND",
            "no_such_table",
            "(statement: rechost snowplow-ecommerce",
        ],
    );
}

#[test]
fn stopped_warehouse_fails_in_one_line() {
    let Some(server) = databricks() else { return };
    let error = client(server, STOPPED).execute("SELECT 1").unwrap_err();
    assert!(
        matches!(error, DatabricksError::WarehouseStopped { .. }),
        "{error:?}"
    );
    assert_one_line(
        &error,
        &[
            &format!("SQL warehouse {STOPPED} is STOPPED"),
            "could not be started",
        ],
    );
}

#[test]
fn starting_warehouse_is_waited_for_with_progress() {
    let Some(server) = databricks() else { return };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let databricks =
        client(server, SLOW).with_progress(move |p| sink.lock().unwrap().push(p.clone()));
    let started = Instant::now();
    let answer = databricks.query_inline("SELECT 'up' AS state").unwrap();
    assert_eq!(answer.rows, vec![vec![Some("up".to_string())]]);
    assert!(started.elapsed() >= Duration::from_secs(SLOW_START_SECS - 1));
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().any(
            |p| matches!(p, Progress::WaitingForWarehouse { state: Some(s), .. } if s == "STARTING")
        ),
        "{seen:?}"
    );
}

#[test]
fn expired_links_fail_in_one_line_after_one_refresh() {
    let Some(server) = databricks() else { return };
    let mut stream = client(server, SHORT_LINKS)
        .query("SELECT id FROM range(1200)")
        .unwrap();
    assert_eq!(stream.chunk_count(), 3);
    let error = stream.next().unwrap().unwrap_err();
    assert!(
        matches!(error, DatabricksError::ExpiredLink { chunk: 0, .. }),
        "{error:?}"
    );
    let text = assert_one_line(
        &error,
        &[
            "download link expired or was refused",
            "HTTP 403",
            "Request has expired",
        ],
    );
    assert!(
        !text.contains("X-Signature"),
        "a presigned URL leaked: {text}"
    );
}

#[test]
fn a_link_expired_before_its_turn_is_fetched_again() {
    let Some(server) = databricks() else { return };
    let stream = client(server, BRIEF_LINKS)
        .query("SELECT id FROM range(1200)")
        .unwrap();
    // The first chunk's link came with the statement; it expires while nobody reads.
    std::thread::sleep(Duration::from_secs(BRIEF_LINK_SECS + 1));
    let ids: Vec<i64> = stream
        .flat_map(|batch| {
            let batch = batch.unwrap();
            let ids = batch
                .column(0)
                .as_any()
                .downcast_ref::<arrow_array::Int64Array>()
                .unwrap();
            ids.values().to_vec()
        })
        .collect();
    assert_eq!(ids, (0..1200).collect::<Vec<i64>>());
}

#[test]
fn interrupt_cancels_the_running_statement() {
    let Some(server) = databricks() else { return };
    let flag = Arc::new(AtomicBool::new(false));
    let databricks = client(server, RUNNING).with_interrupt(flag.clone());
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        flag.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    // Each task sleeps 60 s in Spark: only a cancel ends it sooner.
    let error = databricks
        .execute("SELECT java_method('java.lang.Thread', 'sleep', id + 60000) FROM range(2)")
        .unwrap_err();
    setter.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_one_line(
        &error,
        &[
            "statement cancelled (interrupted)",
            "statement: SELECT java_method",
        ],
    );
}

#[test]
fn throttled_requests_are_retried_after_retry_after() {
    let Some(server) = databricks() else { return };
    let started = Instant::now();
    let answer = client(server, THROTTLED)
        .query_inline("SELECT 1 AS one")
        .unwrap();
    assert_eq!(answer.rows, vec![vec![Some("1".to_string())]]);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "two 429s with Retry-After: 1"
    );
}

#[test]
fn files_api_upload_round_trips_through_a_volume() {
    let Some(server) = databricks() else { return };
    let databricks = client(server, RUNNING);
    let local = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(local.path(), "alpha\nbeta\ngamma\n").unwrap();
    let remote = "/Volumes/main/recs/plugins/round trip/lines.txt";
    databricks.upload(local.path(), remote, true).unwrap();
    let landed = server
        .volumes_dir
        .join("main/recs/plugins/round trip/lines.txt");
    assert_eq!(
        std::fs::read(&landed).unwrap(),
        std::fs::read(local.path()).unwrap()
    );
    // The warehouse reads what was uploaded, by its volume path.
    let count = databricks
        .query_inline(&format!("SELECT count(*) AS n FROM text.`{remote}`"))
        .unwrap();
    assert_eq!(count.rows, vec![vec![Some("3".to_string())]]);

    let error = databricks.upload(local.path(), remote, false).unwrap_err();
    assert_one_line(&error, &["cannot upload", "HTTP 409 (ALREADY_EXISTS)"]);
    let error = databricks
        .upload(local.path(), "/Volumes/main/recs/missing/x.txt", true)
        .unwrap_err();
    assert_one_line(&error, &["HTTP 404", "main.recs.missing"]);
}

#[test]
fn compound_statements_run_as_one_script() {
    let Some(server) = databricks() else { return };
    let databricks = client(server, RUNNING);
    databricks
        .execute("CREATE NAMESPACE IF NOT EXISTS main.scratch")
        .unwrap();
    databricks
        .execute("DROP TABLE IF EXISTS main.scratch.script_out")
        .unwrap();
    databricks
        .execute(
            "BEGIN\n  CREATE TABLE main.scratch.script_out (n BIGINT) USING PARQUET;\n  \
             INSERT INTO main.scratch.script_out SELECT id FROM range(5);\n  \
             INSERT INTO main.scratch.script_out SELECT id + 100 FROM range(2);\nEND",
        )
        .unwrap();
    let answer = databricks
        .query_inline("SELECT sum(n) AS total FROM main.scratch.script_out")
        .unwrap();
    assert_eq!(answer.rows, vec![vec![Some("211".to_string())]]);

    // The same through the script runner, one statement per request.
    let mut done = Vec::new();
    rechost::warehouse::run_script(
        &databricks,
        "DROP TABLE IF EXISTS main.scratch.runner_out;\n\
         CREATE TABLE main.scratch.runner_out USING PARQUET AS SELECT id AS n FROM range(4);\n\
         INSERT INTO main.scratch.runner_out SELECT 10;",
        &mut |first_line| done.push(first_line.to_string()),
    )
    .unwrap();
    assert_eq!(done.len(), 3);
    let answer = databricks
        .query_inline("SELECT sum(n) AS total FROM main.scratch.runner_out")
        .unwrap();
    assert_eq!(answer.rows, vec![vec![Some("16".to_string())]]);
}

#[test]
fn python_udtf_ddl_is_registered_in_spark() {
    let Some(server) = databricks() else { return };
    let databricks = client(server, RUNNING);
    // The DDL shape `rechost register --target databricks` prints, with a handler that needs
    // nothing installed; its volume path is mapped like any other.
    databricks
        .execute(
            "CREATE OR REPLACE FUNCTION main.recs.double_it(source_rows TABLE)\n  \
             RETURNS TABLE (`x` BIGINT, plugin STRING)\n  LANGUAGE PYTHON\n  HANDLER 'Handler'\n  \
             ENVIRONMENT (dependencies = '[\"none\"]', environment_version = 'None')\nAS $$\n\
             PLUGIN = \"/Volumes/main/recs/plugins/double.wasm\"\n\n\
             class Handler:\n    def eval(self, row):\n        yield (row[0] * 2, PLUGIN)\n$$;",
        )
        .unwrap();
    let answer = databricks
        .query_inline(
            "SELECT x, plugin FROM main.recs.double_it(TABLE(SELECT id FROM range(3))) ORDER BY x",
        )
        .unwrap();
    let doubled: Vec<_> = answer.rows.iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(doubled, ["0", "2", "4"]);
    let plugin = answer.rows[0][1].clone().unwrap();
    assert_eq!(
        std::path::Path::new(&plugin),
        server.volumes_dir.join("main/recs/plugins/double.wasm")
    );
}
