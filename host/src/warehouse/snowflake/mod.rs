//! Snowflake: a session (snowflake-api over our own HTTP layer, see [`http`]) and queries whose
//! Arrow results stream chunk by chunk, with a couple of chunks downloading ahead, so a large
//! result never sits in memory whole.

pub mod arrow;
pub mod config;
mod http;
mod source;

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use bytes::Bytes;
use reqwest_middleware::ClientWithMiddleware;
use snowflake_api::{AuthArgs, AuthType, CertificateArgs, PasswordArgs, RawQueryResult};
use std::collections::VecDeque;
use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

pub use config::{Auth, ConnectionSettings};
use http::{ChunkRef, ChunkSlot, RouteToEndpoint, TolerantResponses};
pub use source::{SnowflakeSource, SnowflakeTable};

#[derive(Debug, thiserror::Error)]
pub enum SnowflakeError {
    #[error("Snowflake login failed for user {user} at {endpoint}: {message}")]
    Login {
        user: String,
        endpoint: String,
        message: String,
    },
    #[error("Snowflake query failed ({code}): {message}")]
    Query { code: String, message: String },
    #[error("cannot reach Snowflake at {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("unreadable Snowflake result: {0}")]
    Result(String),
    #[error("cannot start the Snowflake client: {0}")]
    Setup(String),
    #[error(
        "refusing to send {count} statements as one (`{first_line}` ...): rechost sends one \
         statement per request"
    )]
    SeveralStatements { count: usize, first_line: String },
}

/// Every request carries exactly one statement: text that splits into several (injected
/// through a name, or a template bug) is refused before it reaches the server, whatever the
/// server's own multi-statement setting.
fn single_statement(sql: &str) -> Result<(), SnowflakeError> {
    let statements = crate::warehouse::statements(sql);
    if statements.len() == 1 {
        return Ok(());
    }
    Err(SnowflakeError::SeveralStatements {
        count: statements.len(),
        first_line: sql
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect(),
    })
}

/// Snowflake's error when no warehouse can run the query (none set, or suspended).
const NO_RUNNING_WAREHOUSE: &str = "000606";

/// Result chunks downloading while the previous one is decoded and transformed.
const CHUNKS_AHEAD: usize = 2;

/// The error and its causes on one line (reqwest hides the useful part in `source()`).
fn one_line(error: &dyn std::error::Error) -> String {
    // reqwest names the URL with its query string (request ids): keep the path only.
    let without_query = |text: String| match (text.find('?'), text.rfind(')')) {
        (Some(q), Some(close)) if q < close && text.contains("for url (") => {
            format!("{}{}", &text[..q], &text[close..])
        }
        _ => text,
    };
    let mut text = without_query(error.to_string());
    let mut cause = error.source();
    while let Some(c) = cause {
        let next = without_query(c.to_string());
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One session with Snowflake. Login happens with the first query.
pub struct Snowflake {
    api: snowflake_api::SnowflakeApi,
    http: ClientWithMiddleware,
    chunks: ChunkSlot,
    runtime: Arc<Runtime>,
    user: String,
    endpoint: String,
}

impl Snowflake {
    pub fn connect(settings: &ConnectionSettings) -> Result<Self, SnowflakeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rechost-snowflake")
            .enable_all()
            .build()
            .map_err(|e| SnowflakeError::Setup(e.to_string()))?;
        let chunks = ChunkSlot::default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("rechost/", env!("CARGO_PKG_VERSION")))
            .gzip(true)
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SnowflakeError::Setup(one_line(&e)))?;
        // Outermost first: responses are made tolerant after retries settled; every attempt is
        // routed to the configured endpoint.
        let retry =
            reqwest_retry::policies::ExponentialBackoff::builder().build_with_max_retries(3);
        let http = reqwest_middleware::ClientBuilder::new(client)
            .with(TolerantResponses {
                chunks: chunks.clone(),
            })
            .with(reqwest_retry::RetryTransientMiddleware::new_with_policy(
                retry,
            ))
            .with(RouteToEndpoint::new(
                settings.account_name(),
                settings.endpoint.clone(),
            ))
            .build();
        let auth_type = match &settings.auth {
            Auth::Password(password) => AuthType::Password(PasswordArgs {
                password: password.clone(),
            }),
            Auth::KeyPair { private_key_pem } => AuthType::Certificate(CertificateArgs {
                private_key_pem: private_key_pem.clone(),
            }),
        };
        let auth = AuthArgs {
            account_identifier: settings.account_name().to_string(),
            warehouse: settings.warehouse.clone(),
            database: settings.database.clone(),
            schema: settings.schema.clone(),
            username: settings.user.clone(),
            role: settings.role.clone(),
            auth_type,
        };
        let api = snowflake_api::SnowflakeApiBuilder::new(auth)
            .with_client(http.clone())
            .build()
            .map_err(|e| SnowflakeError::Setup(one_line(&e)))?;
        Ok(Self {
            api,
            http,
            chunks,
            runtime: Arc::new(runtime),
            user: settings.user.clone(),
            endpoint: settings.endpoint.base_url(),
        })
    }

    fn error(&self, error: snowflake_api::SnowflakeApiError) -> SnowflakeError {
        use snowflake_api::SnowflakeApiError as E;
        use snowflake_api::connection::ConnectionError;
        let unreachable = |message| SnowflakeError::Unreachable {
            endpoint: self.endpoint.clone(),
            message,
        };
        match error {
            // The crate's AuthError sits in a private module: its variants are told apart by
            // their (stable, documented) messages.
            E::AuthError(auth) => {
                let text = one_line(&auth);
                if let Some(rest) = text.strip_prefix("Failed to authenticate. Error code: ") {
                    let (code, message) = rest.split_once(". Message: ").unwrap_or(("", rest));
                    SnowflakeError::Login {
                        user: self.user.clone(),
                        endpoint: self.endpoint.clone(),
                        message: format!("{} ({code})", message.trim()),
                    }
                } else if is_transport(&auth) {
                    unreachable(text)
                } else {
                    SnowflakeError::Login {
                        user: self.user.clone(),
                        endpoint: self.endpoint.clone(),
                        message: text,
                    }
                }
            }
            E::ApiError(code, message) => {
                let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
                // Some servers repeat the code: "002003 (42S02): ...".
                let message = match message.strip_prefix(code.as_str()) {
                    Some(rest) => rest
                        .trim_start()
                        .split_once(": ")
                        .map_or(rest, |(_, text)| text)
                        .to_string(),
                    None => message,
                };
                let message = if code == NO_RUNNING_WAREHOUSE {
                    format!(
                        "{message} (set `warehouse` in the connection or SNOWFLAKE_WAREHOUSE, \
                         and check that it is running or may auto-resume)"
                    )
                } else {
                    message
                };
                SnowflakeError::Query { code, message }
            }
            E::RequestError(e @ ConnectionError::Deserialization(_)) => {
                SnowflakeError::Result(one_line(&e))
            }
            E::RequestError(e) => unreachable(one_line(&e)),
            other => SnowflakeError::Result(one_line(&other)),
        }
    }

    /// Runs a statement whose result is not needed (DDL, COPY, PUT).
    pub fn execute(&self, sql: &str) -> Result<(), SnowflakeError> {
        single_statement(sql)?;
        let result = self.runtime.block_on(self.api.exec_raw(sql));
        self.chunks.lock().expect("chunk slot").take();
        result.map(drop).map_err(|e| self.error(e))
    }

    /// Runs a query and streams its Arrow result.
    pub fn query(self, sql: &str) -> Result<ResultStream, SnowflakeError> {
        single_statement(sql)?;
        self.chunks.lock().expect("chunk slot").take();
        let raw = self
            .runtime
            .block_on(self.api.exec_raw(sql))
            .map_err(|e| self.error(e))?;
        let chunks = self
            .chunks
            .lock()
            .expect("chunk slot")
            .take()
            .unwrap_or_default();
        let first = match raw {
            RawQueryResult::Bytes(parts) => parts.into_iter().filter(|p| !p.is_empty()).collect(),
            RawQueryResult::Empty => VecDeque::new(),
            RawQueryResult::Json(_) => {
                return Err(SnowflakeError::Result(
                    "the server answered with JSON rows instead of Arrow".into(),
                ));
            }
        };
        Ok(ResultStream {
            total_rows: chunks.total_rows,
            ready: first,
            pending: chunks.chunks.into(),
            headers: Arc::new(chunks.headers),
            downloads: VecDeque::new(),
            reader: None,
            session: self,
        })
    }
}

/// Whether the error came from the network (nothing was answered), not from Snowflake.
fn is_transport(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() || c.to_string().starts_with("error sending request") {
            return true;
        }
        cause = c.source();
    }
    false
}

impl Drop for Snowflake {
    /// Logs the session out (Snowflake counts open sessions); best effort, briefly.
    fn drop(&mut self) {
        let close = self.api.close_session();
        let _ = self
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(2), close).await });
    }
}

/// A query's result batches, in order: the rows inlined in the response, then each chunk.
pub struct ResultStream {
    pub total_rows: Option<u64>,
    ready: VecDeque<Bytes>,
    pending: VecDeque<ChunkRef>,
    headers: Arc<Vec<(String, String)>>,
    downloads: VecDeque<JoinHandle<Result<Bytes, String>>>,
    reader: Option<StreamReader<Cursor<Bytes>>>,
    session: Snowflake,
}

impl ResultStream {
    fn start_downloads(&mut self) {
        while self.downloads.len() < CHUNKS_AHEAD {
            let Some(chunk) = self.pending.pop_front() else {
                return;
            };
            let http = self.session.http.clone();
            let headers = self.headers.clone();
            self.downloads
                .push_back(self.session.runtime.spawn(async move {
                    let mut request = http.get(&chunk.url);
                    for (name, value) in headers.iter() {
                        request = request.header(name, value);
                    }
                    let response = request.send().await.map_err(|e| one_line(&e))?;
                    let response = response.error_for_status().map_err(|e| one_line(&e))?;
                    response.bytes().await.map_err(|e| one_line(&e))
                }));
        }
    }

    /// The next IPC stream to decode: inlined rows first, then chunks as they arrive.
    fn next_stream(&mut self) -> Option<Result<Bytes, SnowflakeError>> {
        if let Some(bytes) = self.ready.pop_front() {
            return Some(Ok(bytes));
        }
        self.start_downloads();
        let download = self.downloads.pop_front()?;
        let result = self.session.runtime.block_on(download);
        self.start_downloads();
        Some(match result {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(message)) => Err(SnowflakeError::Result(format!(
                "downloading a result chunk: {message}"
            ))),
            Err(e) => Err(SnowflakeError::Result(e.to_string())),
        })
    }
}

impl Iterator for ResultStream {
    type Item = Result<RecordBatch, SnowflakeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = &mut self.reader {
                match reader.next() {
                    Some(batch) => {
                        return Some(batch.map_err(|e| SnowflakeError::Result(e.to_string())));
                    }
                    None => self.reader = None,
                }
            }
            let bytes = match self.next_stream()? {
                Ok(bytes) => bytes,
                Err(e) => return Some(Err(e)),
            };
            match StreamReader::try_new(Cursor::new(bytes), None) {
                Ok(reader) => self.reader = Some(reader),
                Err(e) => return Some(Err(SnowflakeError::Result(e.to_string()))),
            }
        }
    }
}

impl crate::warehouse::StatementRunner for Snowflake {
    type Error = SnowflakeError;

    fn execute(&self, statement: &str) -> Result<(), SnowflakeError> {
        Snowflake::execute(self, statement)
    }
}
