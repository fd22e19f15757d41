//! An `ARROW_STREAM` + `EXTERNAL_LINKS` result as Arrow batches. Each chunk is one Arrow IPC
//! stream behind a presigned link; a few chunks download ahead while the previous one is
//! decoded, so memory holds at most that many chunks whatever the result size. A link that
//! expired (or is refused) is asked for again once through the API; refused again, the
//! result fails with [`DatabricksError::ExpiredLink`].

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use bytes::Bytes;
use reqwest::Method;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::Cursor;
use std::sync::Arc;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::DatabricksError;
use super::http::Http;

/// Chunks downloading while the previous one is decoded and transformed.
const CHUNKS_AHEAD: usize = 2;

/// One chunk's presigned link and the headers it must be fetched with.
#[derive(Clone)]
struct Link {
    url: String,
    headers: Vec<(String, String)>,
}

fn links_of(result: &Value) -> Vec<(usize, Link)> {
    result["external_links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let url = l["external_link"].as_str()?.to_string();
            let headers = l["http_headers"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
            Some((
                l["chunk_index"].as_u64().unwrap_or(0) as usize,
                Link { url, headers },
            ))
        })
        .collect()
}

/// A statement's result chunks, in order, as record batches.
pub struct ResultStream {
    /// Rows in the whole result (the manifest's `total_row_count`).
    pub total_rows: Option<u64>,
    /// Column names, in order (the manifest's schema).
    pub columns: Vec<String>,
    statement_id: String,
    chunk_count: usize,
    next_chunk: usize,
    /// Links already known (the first chunk's comes with the statement).
    known: Vec<(usize, Link)>,
    downloads: VecDeque<JoinHandle<Result<Bytes, DatabricksError>>>,
    reader: Option<StreamReader<Cursor<Bytes>>>,
    runtime: Arc<Runtime>,
    http: Arc<Http>,
}

impl ResultStream {
    pub(crate) fn new(
        runtime: Arc<Runtime>,
        http: Arc<Http>,
        response: Value,
    ) -> Result<Self, DatabricksError> {
        let statement_id = response["statement_id"].as_str().unwrap_or("").to_string();
        let manifest = &response["manifest"];
        if manifest["format"]
            .as_str()
            .is_some_and(|f| f != "ARROW_STREAM")
        {
            return Err(DatabricksError::Result {
                statement_id,
                message: format!("expected ARROW_STREAM chunks, got {}", manifest["format"]),
            });
        }
        let columns = manifest["schema"]["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect();
        Ok(Self {
            total_rows: manifest["total_row_count"].as_u64(),
            columns,
            chunk_count: manifest["total_chunk_count"].as_u64().unwrap_or(0) as usize,
            next_chunk: 0,
            known: links_of(&response["result"]),
            statement_id,
            downloads: VecDeque::new(),
            reader: None,
            runtime,
            http,
        })
    }

    pub fn statement_id(&self) -> &str {
        &self.statement_id
    }

    pub fn chunk_count(&self) -> usize {
        self.chunk_count
    }

    fn start_downloads(&mut self) {
        while self.downloads.len() < CHUNKS_AHEAD && self.next_chunk < self.chunk_count {
            let chunk = self.next_chunk;
            self.next_chunk += 1;
            let known = self
                .known
                .iter()
                .position(|(index, _)| *index == chunk)
                .map(|i| self.known.swap_remove(i).1);
            let http = self.http.clone();
            let statement_id = self.statement_id.clone();
            self.downloads.push_back(
                self.runtime
                    .spawn(async move { download(&http, &statement_id, chunk, known).await }),
            );
        }
    }

    fn result_error(&self, message: String) -> DatabricksError {
        DatabricksError::Result {
            statement_id: self.statement_id.clone(),
            message,
        }
    }
}

/// The link of `chunk` from the API (fresh, whatever was known before).
async fn fresh_link(
    http: &Http,
    statement_id: &str,
    chunk: usize,
) -> Result<Link, DatabricksError> {
    let url = http.url(
        "/api/2.0/sql/statements",
        &[statement_id, "result", "chunks", &chunk.to_string()],
    );
    let result = http.api(Method::GET, url, None).await?;
    links_of(&result)
        .into_iter()
        .find(|(index, _)| *index == chunk)
        .map(|(_, link)| link)
        .ok_or_else(|| DatabricksError::Result {
            statement_id: statement_id.into(),
            message: format!("chunk {chunk} came without an external link"),
        })
}

async fn download(
    http: &Http,
    statement_id: &str,
    chunk: usize,
    known: Option<Link>,
) -> Result<Bytes, DatabricksError> {
    let link = match known {
        Some(link) => link,
        None => fresh_link(http, statement_id, chunk).await?,
    };
    let refused = match http.fetch_link(&link.url, &link.headers).await {
        Ok(bytes) => return Ok(bytes),
        Err((Some(403 | 404 | 410), message)) => message,
        Err((_, message)) => {
            return Err(DatabricksError::Result {
                statement_id: statement_id.into(),
                message: format!("downloading chunk {chunk}: {message}"),
            });
        }
    };
    // Links live minutes: one that expired before its turn is asked for again, once.
    let link = fresh_link(http, statement_id, chunk).await?;
    http.fetch_link(&link.url, &link.headers)
        .await
        .map_err(|(_, message)| DatabricksError::ExpiredLink {
            statement_id: statement_id.into(),
            chunk,
            message: if message == refused {
                message
            } else {
                format!("{refused}; again: {message}")
            },
        })
}

impl Iterator for ResultStream {
    type Item = Result<RecordBatch, DatabricksError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = &mut self.reader {
                match reader.next() {
                    Some(batch) => {
                        return Some(batch.map_err(|e| self.result_error(e.to_string())));
                    }
                    None => self.reader = None,
                }
            }
            self.start_downloads();
            let download = self.downloads.pop_front()?;
            let bytes = match self.runtime.block_on(download) {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(error)) => {
                    self.downloads.drain(..).for_each(|d| d.abort());
                    self.next_chunk = self.chunk_count;
                    return Some(Err(error));
                }
                Err(e) => return Some(Err(self.result_error(e.to_string()))),
            };
            self.start_downloads();
            match StreamReader::try_new(Cursor::new(bytes), None) {
                Ok(reader) => self.reader = Some(reader),
                Err(e) => {
                    return Some(Err(
                        self.result_error(format!("chunk is not an Arrow stream: {e}"))
                    ));
                }
            }
        }
    }
}

impl Drop for ResultStream {
    /// Downloads still running are not needed any more.
    fn drop(&mut self) {
        for download in &self.downloads {
            download.abort();
        }
    }
}
