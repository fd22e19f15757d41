//! A Snowflake protocol server (fakesnow, `tests/snowflake/fakesnow_server.py`) that checks
//! credentials, started once per test process on a free loopback port, plus loading of CSV
//! rows into its tables through the protocol.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

pub struct Fakesnow {
    pub host: String,
    pub port: u16,
    pub account: String,
    pub user: String,
    pub password: String,
    pub key_user: String,
    pub private_key_file: PathBuf,
    /// Commands go one at a time; the server exits when its stdin closes (this process exits).
    server: Mutex<(Child, ChildStdin, BufReader<ChildStdout>)>,
}

pub fn fakesnow() -> &'static Fakesnow {
    static SERVER: OnceLock<Fakesnow> = OnceLock::new();
    SERVER.get_or_init(|| {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/snowflake/fakesnow_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("fakesnow server prints its settings");
        let settings: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!(
                "the fakesnow server did not start (got {line:?}); install the test servers: \
                 pip install -r tests/requirements.txt"
            )
        });
        let text = |key: &str| settings[key].as_str().unwrap().to_string();
        Fakesnow {
            host: text("host"),
            port: settings["port"].as_u64().unwrap() as u16,
            account: text("account"),
            user: text("user"),
            password: text("password"),
            key_user: text("key_user"),
            private_key_file: text("private_key_file").into(),
            server: Mutex::new((child, stdin, stdout)),
        }
    })
}

/// The ecommerce source table as Snowplow's dbt package creates it (the columns rechost reads).
pub const ECOMMERCE_COLUMNS: &[(&str, &str)] = &[
    ("event_id", "VARCHAR"),
    ("domain_userid", "VARCHAR"),
    ("ecommerce_user_id", "VARCHAR"),
    ("product_id", "VARCHAR"),
    ("product_category", "VARCHAR"),
    ("product_price", "FLOAT"),
    ("derived_tstamp", "TIMESTAMP_NTZ"),
    ("is_product_view", "BOOLEAN"),
    ("is_product_transaction", "BOOLEAN"),
    ("ecommerce_user_is_guest", "BOOLEAN"),
];

impl Fakesnow {
    /// Creates `table` (DB.SCHEMA.NAME) with `columns` and loads the CSV's rows into it.
    pub fn load(&self, table: &str, columns: &[(&str, &str)], csv: &Path) -> u64 {
        let command = serde_json::json!({"load": {
            "table": table,
            "columns": columns,
            "csv": csv,
        }});
        let mut server = self.server.lock().unwrap_or_else(|e| e.into_inner());
        let (_, stdin, stdout) = &mut *server;
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let answer: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("fakesnow answered {line:?}"));
        assert_eq!(answer["ok"], true, "loading {table}: {answer}");
        answer["rows"].as_u64().unwrap()
    }

    /// A `$SNOWFLAKE_HOME` whose connections.toml points at this server as connection `name`.
    pub fn snowflake_home(
        &self,
        name: &str,
        database: &str,
        schema: &str,
        password: &str,
    ) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        let toml = format!(
            "default_connection_name = \"{name}\"\n\n[{name}]\naccount = \"{}\"\nuser = \"{}\"\n\
             password = \"{password}\"\ndatabase = \"{database}\"\nschema = \"{schema}\"\n\
             warehouse = \"compute_wh\"\nhost = \"{}\"\nport = {}\nprotocol = \"http\"\n",
            self.account, self.user, self.host, self.port
        );
        std::fs::write(home.path().join("connections.toml"), toml).unwrap();
        home
    }
}
