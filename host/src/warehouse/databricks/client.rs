//! Statements through the SQL Statement Execution API 2.0: submitted without waiting
//! (`wait_timeout = 0s`) so every statement has an id to cancel, then polled with backoff until
//! it ends. A statement waiting for its warehouse is reported through the progress callback;
//! one that fails, times out or is interrupted is cancelled.

use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

use super::config::Settings;
use super::http::Http;
use super::result::ResultStream;
use super::{DatabricksError, first_line, squash};

/// What a running statement reports through [`Databricks::with_progress`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The statement waits for the warehouse (`state` as the Warehouses API tells it:
    /// `STARTING`, `STOPPED` before an auto-start, ...).
    WaitingForWarehouse {
        warehouse: String,
        state: Option<String>,
        waited: Duration,
    },
    /// The statement runs.
    Running { waited: Duration },
}

/// A progress callback (see [`Databricks::with_progress`]).
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// A small result, rows as the API's JSON strings (`None` for NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// A connection to one SQL warehouse. Statements are independent (no session state).
pub struct Databricks {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) http: Arc<Http>,
    warehouse_id: String,
    catalog: Option<String>,
    schema: Option<String>,
    progress: Option<ProgressFn>,
    interrupt: Option<Arc<AtomicBool>>,
    start_timeout: Duration,
}

/// Longest pause between two polls of a running statement.
const MAX_POLL: Duration = Duration::from_secs(2);
/// How often the warehouse's state is asked while a statement waits for it.
const WAREHOUSE_CHECK: Duration = Duration::from_secs(2);

impl Databricks {
    /// A client for `settings`' warehouse; nothing is sent until the first statement.
    pub fn connect(settings: &Settings) -> Result<Self, DatabricksError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rechost-databricks")
            .enable_all()
            .build()
            .map_err(|e| DatabricksError::Setup(e.to_string()))?;
        Ok(Self {
            runtime: Arc::new(runtime),
            http: Arc::new(Http::new(settings)?),
            warehouse_id: settings.warehouse_id.clone(),
            catalog: settings.catalog.clone(),
            schema: settings.schema.clone(),
            progress: None,
            interrupt: None,
            start_timeout: Duration::from_secs(20 * 60),
        })
    }

    /// Reports waiting and running statements (the CLI prints a progress line).
    pub fn with_progress(mut self, report: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(report));
        self
    }

    /// A flag (set by Ctrl-C) that cancels the running statement.
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// How long a statement may wait for its warehouse before it is cancelled (default 20 min).
    pub fn with_start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    pub fn warehouse_id(&self) -> &str {
        &self.warehouse_id
    }

    /// Runs a statement whose result is not needed (DDL, a compound `BEGIN ... END` script).
    pub fn execute(&self, sql: &str) -> Result<(), DatabricksError> {
        self.runtime
            .block_on(self.run(sql, "JSON_ARRAY", "INLINE"))
            .map(drop)
    }

    /// Runs a statement with a small result (at most a few MiB), rows inline as JSON.
    pub fn query_inline(&self, sql: &str) -> Result<InlineResult, DatabricksError> {
        self.runtime.block_on(async {
            let response = self.run(sql, "JSON_ARRAY", "INLINE").await?;
            let columns = response["manifest"]["schema"]["columns"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|c| c["name"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let mut rows = Vec::new();
            let mut chunk = response["result"].clone();
            loop {
                for row in chunk["data_array"].as_array().into_iter().flatten() {
                    let values = row.as_array().map(Vec::as_slice).unwrap_or_default();
                    rows.push(
                        values
                            .iter()
                            .map(|v| v.as_str().map(str::to_string))
                            .collect(),
                    );
                }
                let Some(next) = chunk["next_chunk_internal_link"].as_str() else {
                    break;
                };
                chunk = self
                    .http
                    .api(Method::GET, self.http.url(next, &[]), None)
                    .await?;
            }
            Ok(InlineResult { columns, rows })
        })
    }

    /// Runs a query and streams its result: Arrow IPC chunks behind presigned links.
    pub fn query(&self, sql: &str) -> Result<ResultStream, DatabricksError> {
        let response = self
            .runtime
            .block_on(self.run(sql, "ARROW_STREAM", "EXTERNAL_LINKS"))?;
        ResultStream::new(self.runtime.clone(), self.http.clone(), response)
    }

    /// The warehouse's state from the Warehouses API (`RUNNING`, `STARTING`, `STOPPED`, ...).
    pub fn warehouse_state(&self) -> Result<String, DatabricksError> {
        self.runtime.block_on(self.fetch_warehouse_state())
    }

    async fn fetch_warehouse_state(&self) -> Result<String, DatabricksError> {
        let url = self
            .http
            .url("/api/2.0/sql/warehouses", &[&self.warehouse_id]);
        let info = self.http.api(Method::GET, url, None).await?;
        Ok(info["state"].as_str().unwrap_or("UNKNOWN").to_string())
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    fn report(&self, progress: Progress) {
        if let Some(report) = &self.progress {
            report(&progress);
        }
    }

    /// Submits `sql` and polls it to its end; the final response (SUCCEEDED) or the error.
    async fn run(
        &self,
        sql: &str,
        format: &str,
        disposition: &str,
    ) -> Result<Value, DatabricksError> {
        let mut request = json!({
            "statement": sql,
            "warehouse_id": self.warehouse_id,
            "format": format,
            "disposition": disposition,
            "wait_timeout": "0s",
            "on_wait_timeout": "CONTINUE",
        });
        if let Some(catalog) = &self.catalog {
            request["catalog"] = json!(catalog);
        }
        if let Some(schema) = &self.schema {
            request["schema"] = json!(schema);
        }
        let url = self.http.url("/api/2.0/sql/statements", &[]);
        let response = self.http.api(Method::POST, url, Some(&request)).await?;
        let id = response["statement_id"]
            .as_str()
            .ok_or_else(|| DatabricksError::Api {
                endpoint: "/api/2.0/sql/statements".into(),
                status: 200,
                code: "NO_STATEMENT_ID".into(),
                message: "the answer has no statement_id".into(),
            })?
            .to_string();
        let result = self.poll(sql, &id, response).await;
        if let Err(error) = &result
            && !matches!(
                error,
                DatabricksError::Sql { .. }
                    | DatabricksError::UnknownTable { .. }
                    | DatabricksError::WarehouseStopped { .. }
            )
        {
            // Best effort: a statement we stopped following must not keep running.
            let cancel = self.http.url("/api/2.0/sql/statements", &[&id, "cancel"]);
            let _ = self.http.api(Method::POST, cancel, Some(&json!({}))).await;
        }
        result
    }

    async fn poll(
        &self,
        sql: &str,
        id: &str,
        mut response: Value,
    ) -> Result<Value, DatabricksError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        let mut ran = false;
        let mut last_check: Option<Instant> = None;
        loop {
            let state = response["status"]["state"]
                .as_str()
                .unwrap_or("")
                .to_string();
            match state.as_str() {
                "SUCCEEDED" => return Ok(response),
                "FAILED" => return Err(self.failure(sql, &response, ran).await),
                "CANCELED" | "CLOSED" => {
                    return Err(DatabricksError::Cancelled {
                        statement: first_line(sql),
                        reason: format!("the warehouse reports it {state}"),
                    });
                }
                "RUNNING" => {
                    ran = true;
                    self.report(Progress::Running {
                        waited: started.elapsed(),
                    });
                }
                _ => {
                    if started.elapsed() > self.start_timeout {
                        return Err(DatabricksError::WarehouseTimeout {
                            warehouse: self.warehouse_id.clone(),
                            waited_secs: started.elapsed().as_secs(),
                        });
                    }
                    if last_check.is_none_or(|t| t.elapsed() >= WAREHOUSE_CHECK) {
                        last_check = Some(Instant::now());
                        let state = self.fetch_warehouse_state().await.ok();
                        self.report(Progress::WaitingForWarehouse {
                            warehouse: self.warehouse_id.clone(),
                            state,
                            waited: started.elapsed(),
                        });
                    }
                }
            }
            self.pause(sql, pause).await?;
            pause = (pause * 3 / 2).min(MAX_POLL);
            let url = self.http.url("/api/2.0/sql/statements", &[id]);
            response = self.http.api(Method::GET, url, None).await?;
        }
    }

    /// Sleeps `pause`, checking the interrupt flag every 50 ms.
    async fn pause(&self, sql: &str, pause: Duration) -> Result<(), DatabricksError> {
        let until = Instant::now() + pause;
        loop {
            if self.interrupted() {
                return Err(DatabricksError::Cancelled {
                    statement: first_line(sql),
                    reason: "interrupted".into(),
                });
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            tokio::time::sleep(left.min(Duration::from_millis(50))).await;
        }
    }

    /// The error of a FAILED statement. One that never ran and whose warehouse is not running
    /// failed because of the warehouse.
    async fn failure(&self, sql: &str, response: &Value, ran: bool) -> DatabricksError {
        let status = &response["status"];
        let message = squash(status["error"]["message"].as_str().unwrap_or("no message"));
        let sql_state = status["sql_state"].as_str().unwrap_or("").to_string();
        if !ran
            && sql_state.is_empty()
            && let Ok(state) = self.fetch_warehouse_state().await
            && state != "RUNNING"
        {
            return DatabricksError::WarehouseStopped {
                warehouse: self.warehouse_id.clone(),
                state,
                message,
            };
        }
        let statement = first_line(sql);
        if sql_state == "42P01" || message.starts_with("[TABLE_OR_VIEW_NOT_FOUND]") {
            return DatabricksError::UnknownTable { statement, message };
        }
        let sql_state = if sql_state.is_empty() {
            status["error"]["error_code"]
                .as_str()
                .unwrap_or("UNKNOWN")
                .to_string()
        } else {
            sql_state
        };
        DatabricksError::Sql {
            statement,
            sql_state,
            message,
        }
    }
}

/// Scripts (`rechost register --execute`) run statement by statement.
impl crate::warehouse::StatementRunner for Databricks {
    type Error = DatabricksError;

    fn execute(&self, statement: &str) -> Result<(), DatabricksError> {
        Databricks::execute(self, statement)
    }
}
