//! Databricks: a client for the SQL Statement Execution API 2.0 and the Files API over
//! reqwest (the HTTP stack already in the tree), blocking on its own small tokio runtime.
//!
//! [`config`] resolves the connection as Databricks' tools do; [`Databricks`] runs statements
//! (polling with backoff, waiting for a starting warehouse, cancelling on failure or on an
//! interrupt); [`ResultStream`] yields an `ARROW_STREAM` + `EXTERNAL_LINKS` result as Arrow
//! batches, a few chunks downloading ahead; [`source::DatabricksSource`] feeds a table into the
//! pipeline.

mod client;
pub mod config;
mod files;
mod http;
mod result;
pub mod source;

pub use client::{Databricks, InlineResult, Progress, ProgressFn};
pub use config::{Auth, Settings};
pub use result::ResultStream;
pub use source::{DatabricksSource, DatabricksTable};

/// Every failure, on one line; none carries a secret or a presigned URL.
#[derive(Debug, thiserror::Error)]
pub enum DatabricksError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("Databricks authentication failed at {host}: {message}")]
    Auth { host: String, message: String },
    #[error("cannot reach Databricks at {host}: {message}")]
    Unreachable { host: String, message: String },
    #[error("Databricks API {endpoint} answered HTTP {status} ({code}): {message}")]
    Api {
        endpoint: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("table not found: {message} (statement: {statement})")]
    UnknownTable { statement: String, message: String },
    #[error("Databricks SQL failed ({sql_state}): {message} (statement: {statement})")]
    Sql {
        statement: String,
        sql_state: String,
        message: String,
    },
    #[error(
        "SQL warehouse {warehouse} is {state} and did not run the statement: {message} (start it, or check its auto-start and your CAN_USE permission)"
    )]
    WarehouseStopped {
        warehouse: String,
        state: String,
        message: String,
    },
    #[error("SQL warehouse {warehouse} did not start within {waited_secs} s (statement cancelled)")]
    WarehouseTimeout { warehouse: String, waited_secs: u64 },
    #[error(
        "result chunk {chunk} of statement {statement_id}: the download link expired or was refused ({message})"
    )]
    ExpiredLink {
        statement_id: String,
        chunk: usize,
        message: String,
    },
    #[error("statement cancelled ({reason}) (statement: {statement})")]
    Cancelled { statement: String, reason: String },
    #[error("unreadable Databricks result of statement {statement_id}: {message}")]
    Result {
        statement_id: String,
        message: String,
    },
    #[error("cannot upload {file} to {path}: {message}")]
    Upload {
        file: std::path::PathBuf,
        path: String,
        message: String,
    },
    #[error("cannot start the Databricks client: {0}")]
    Setup(String),
}

/// The statement as messages name it: its first line, shortened. rechost's generated SQL
/// starts with a `-- rechost <plugin> <version>: <table>, <window>` comment, which names it
/// best; the comment marker is dropped.
pub(crate) fn first_line(sql: &str) -> String {
    let line = sql
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let line = line.strip_prefix("--").map_or(line, str::trim);
    let mut text: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        text.push_str("...");
    }
    text
}

/// The error and its causes on one line (reqwest keeps the useful part in `source()`), with
/// no query string, so a presigned URL's credentials never reach a message.
pub(crate) fn one_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    strip_queries(&text)
}

/// `http://h/p?secret (x)` -> `http://h/p (x)`.
pub(crate) fn strip_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for c in text.chars() {
        match c {
            '?' => skipping = true,
            ' ' | ')' if skipping => {
                skipping = false;
                out.push(c);
            }
            _ if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}

/// A message from the server squashed onto one line: the first line of a multi-line engine
/// message (the rest is the SQL context and plan), whitespace collapsed.
pub(crate) fn squash(message: &str) -> String {
    let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    first.split_whitespace().collect::<Vec<_>>().join(" ")
}
