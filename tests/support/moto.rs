//! A real S3-compatible server (moto, `tests/s3/moto_server.py`) with authentication on,
//! started once per test process on a free loopback port, plus an S3 client for checks.

use aws_sdk_s3::Client;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

pub struct Key {
    pub id: String,
    pub secret: String,
}

pub struct Moto {
    pub endpoint: String,
    pub bucket: String,
    pub writer: Key,
    pub nobody: Key,
    /// Kept open: the server exits when its stdin closes, i.e. when this process exits.
    _server: Mutex<(Child, ChildStdin)>,
}

pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/s3/moto_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let stdin = child.stdin.take().expect("piped");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("moto server prints its settings");
        let settings: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!(
                "the moto S3 server did not start (got {line:?}); install the test servers: \
                 pip install -r tests/requirements.txt"
            )
        });
        let key = |user: &str| Key {
            id: settings["keys"][user]["id"].as_str().unwrap().to_string(),
            secret: settings["keys"][user]["secret"]
                .as_str()
                .unwrap()
                .to_string(),
        };
        Moto {
            endpoint: settings["endpoint"].as_str().unwrap().to_string(),
            bucket: settings["bucket"].as_str().unwrap().to_string(),
            writer: key("writer"),
            nobody: key("nobody"),
            _server: Mutex::new((child, stdin)),
        }
    })
}

/// Environment for a `rechost` run against moto with `key` (nothing from the real machine's
/// AWS configuration leaks in).
pub fn aws_env(key: &Key) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", key.id.clone()),
        ("AWS_SECRET_ACCESS_KEY", key.secret.clone()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_CONFIG_FILE", "/nonexistent".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// A blocking S3 client for checking what a run left behind.
pub struct Checker {
    runtime: tokio::runtime::Runtime,
    client: Client,
    bucket: String,
}

impl Checker {
    pub fn new(moto: &Moto) -> Self {
        let credentials = aws_sdk_s3::config::Credentials::new(
            &moto.writer.id,
            &moto.writer.secret,
            None,
            None,
            "tests",
        );
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&moto.endpoint)
            .force_path_style(true)
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .credentials_provider(credentials)
            .build();
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            client: Client::from_conf(config),
            bucket: moto.bucket.clone(),
        }
    }

    /// Every object under `prefix/`, relative key -> bytes, sorted.
    pub fn objects(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        self.runtime.block_on(async {
            let listed = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(format!("{prefix}/"))
                .send()
                .await
                .unwrap();
            let mut out = Vec::new();
            for object in listed.contents() {
                let key = object.key().unwrap();
                let body = self
                    .client
                    .get_object()
                    .bucket(&self.bucket)
                    .key(key)
                    .send()
                    .await
                    .unwrap()
                    .body
                    .collect()
                    .await
                    .unwrap();
                out.push((
                    key[prefix.len() + 1..].to_string(),
                    body.into_bytes().to_vec(),
                ));
            }
            out.sort();
            out
        })
    }

    /// The ETag of an object (multipart ETags end in `-<parts>`).
    pub fn etag(&self, key: &str) -> String {
        self.runtime.block_on(async {
            let head = self
                .client
                .head_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .unwrap();
            head.e_tag().unwrap_or_default().to_string()
        })
    }

    /// Starts a multipart upload of `key` with one part and leaves it open, as a killed run
    /// (or a `CreateMultipartUpload` whose answer was lost) leaves one.
    pub fn leave_open_upload(&self, key: &str) {
        self.runtime.block_on(async {
            let created = (self.client.create_multipart_upload())
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .unwrap();
            (self.client.upload_part())
                .bucket(&self.bucket)
                .key(key)
                .upload_id(created.upload_id().unwrap())
                .part_number(1)
                .body(b"left behind".to_vec().into())
                .send()
                .await
                .unwrap();
        })
    }

    /// Multipart uploads still open under `prefix/`.
    pub fn open_uploads(&self, prefix: &str) -> usize {
        self.runtime.block_on(async {
            let listed = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(format!("{prefix}/"))
                .send()
                .await
                .unwrap();
            listed.uploads().len()
        })
    }
}
