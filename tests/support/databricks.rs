//! The local Databricks SQL warehouse (`tests/databricks/server.py`: the Statement Execution
//! API, Files API and OAuth token endpoint in front of local Spark), started once per test
//! process on a free loopback port with the shared fixture and `rechost sample` rows loaded.
//! Without Python/pyspark/Java the tests skip, unless CI is set: then they fail.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use crate::harness::{path_arg, rechost};

/// The warehouses the server runs, each with one behaviour.
pub const RUNNING: &str = "local0123456789ab";
pub const SLOW: &str = "slow0starting";
pub const STOPPED: &str = "stopped0wh";
pub const SHORT_LINKS: &str = "links0expire";
pub const BRIEF_LINKS: &str = "links0brief";
/// Seconds the links of [`BRIEF_LINKS`] live.
pub const BRIEF_LINK_SECS: u64 = 2;
pub const THROTTLED: &str = "throttled0wh";

/// Seconds the slow warehouse takes to start.
pub const SLOW_START_SECS: u64 = 3;
/// Rows per result chunk (small, so results come in many chunks).
pub const CHUNK_ROWS: usize = 500;

/// Tables loaded at start.
pub const FIXTURE_TABLE: &str = "main.snowplow.snowplow_ecommerce_product_interactions";
pub const SAMPLE_TABLE: &str = "main.snowplow.sample_ecommerce";
pub const SAMPLE_MEDIA_TABLE: &str = "main.snowplow.sample_media";
pub const SAMPLE_ROWS: u32 = 100_000;
pub const SAMPLE_END: &str = "2024-03-10";

pub struct Server {
    pub host: String,
    pub token: String,
    pub client_id: String,
    pub client_secret: String,
    pub volumes_dir: PathBuf,
    /// The fixture CSV, when the shared fixtures are present.
    pub fixture: Option<PathBuf>,
    /// The sample Parquet file loaded as [`SAMPLE_TABLE`].
    pub sample: PathBuf,
    /// The media sample Parquet file loaded as [`SAMPLE_MEDIA_TABLE`].
    pub sample_media: PathBuf,
    /// The server stops when this closes (when the test process exits).
    _process: Mutex<(Child, ChildStdin)>,
}

/// The shared server, or `None` (test skipped) when it cannot start outside CI.
pub fn databricks() -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    match SERVER.get_or_init(start) {
        Ok(server) => Some(server),
        Err(message) if std::env::var_os("CI").is_some() => panic!("{message}"),
        Err(message) => {
            eprintln!("SKIPPED: {message}");
            None
        }
    }
}

fn start() -> Result<Server, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("databricks-server");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let sample = work.join("sample-ecommerce.parquet");
    let sample_media = work.join("sample-media.parquet");
    for (domain, file) in [("ecommerce", &sample), ("media", &sample_media)] {
        rechost([
            "sample",
            domain,
            "--rows",
            &SAMPLE_ROWS.to_string(),
            "--out",
            &path_arg(file),
            "--end-date",
            SAMPLE_END,
            "--days",
            "10",
        ])
        .assert_ok();
    }
    let fixture = root.join("../shared/fixtures/snowplow_ecommerce_product_interactions.csv");
    let fixture = fixture.exists().then_some(fixture);

    let mut command = Command::new("python3");
    command
        .arg(root.join("tests/databricks/server.py"))
        .args(["--exit-with-stdin", "--chunk-rows", &CHUNK_ROWS.to_string()])
        .args(["--warehouse", RUNNING])
        .args(["--warehouse", &format!("{SLOW}:start={SLOW_START_SECS}")])
        .args(["--warehouse", &format!("{STOPPED}:stopped")])
        .args(["--warehouse", &format!("{SHORT_LINKS}:link_ttl=0")])
        .args([
            "--warehouse",
            &format!("{BRIEF_LINKS}:link_ttl={BRIEF_LINK_SECS}"),
        ])
        .args(["--warehouse", &format!("{THROTTLED}:throttle=2")])
        .args(["--catalog", "main", "--volume", "main.recs.plugins"])
        .arg("--data-dir")
        .arg(work.join("spark"))
        .arg("--table")
        .arg(format!("{SAMPLE_TABLE}={}", path_arg(&sample)))
        .arg("--table")
        .arg(format!("{SAMPLE_MEDIA_TABLE}={}", path_arg(&sample_media)));
    if let Some(fixture) = &fixture {
        command
            .arg("--table")
            .arg(format!("{FIXTURE_TABLE}={}", path_arg(fixture)));
    }
    let log = std::fs::File::create(work.join("server.log")).map_err(|e| e.to_string())?;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot run python3 tests/databricks/server.py: {e}"))?;
    let stdin = child.stdin.take().expect("piped");
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line);
    let settings: serde_json::Value = serde_json::from_str(&line).map_err(|_| {
        format!(
            "the local Databricks server did not start (see {}); it needs Java 17 and \
             pip install -r tests/requirements.txt",
            work.join("server.log").display()
        )
    })?;
    let text = |key: &str| settings[key].as_str().unwrap_or_default().to_string();
    Ok(Server {
        host: text("host"),
        token: text("token"),
        client_id: text("client_id"),
        client_secret: text("client_secret"),
        volumes_dir: text("volumes_dir").into(),
        fixture,
        sample,
        sample_media,
        _process: Mutex::new((child, stdin)),
    })
}

impl Server {
    /// `DATABRICKS_*` variables naming this server, its token and `warehouse`.
    pub fn env(&self, warehouse: &str) -> Vec<(&'static str, String)> {
        vec![
            ("DATABRICKS_HOST", self.host.clone()),
            ("DATABRICKS_TOKEN", self.token.clone()),
            ("DATABRICKS_WAREHOUSE_ID", warehouse.to_string()),
        ]
    }
}
