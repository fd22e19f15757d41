//! The HTTP layer under snowflake-api. The crate hard-codes `https://{account}.snowflakecomputing.com`
//! and deserialises responses into strict structs; this layer, plugged in through its builder's
//! middleware hook, makes the shipped client work wherever the official connectors do:
//!
//! - [`RouteToEndpoint`] sends the crate's requests to the connection's `protocol://host:port`
//!   (PrivateLink, proxies, a local emulator). Other URLs (result chunks on cloud storage) are
//!   left alone.
//! - [`TolerantResponses`] fills neutral defaults for fields a server may omit (fakesnow omits
//!   several, and the crate then fails with an opaque "error decoding response body"), turns
//!   non-JSON error pages into one readable error, and takes the list of result chunks out of
//!   query responses so the source can stream them one at a time instead of the crate
//!   downloading all of them into memory.
//!
//! Defaults filled (only where the field is absent or null):
//! - login `data`: `sessionId` 0, `masterToken` "", `validityInSeconds` and
//!   `masterValidityInSeconds` -1 (no known expiry: the server says when a token is stale),
//!   `serverVersion` "", `sessionInfo.roleName` "";
//! - query `data`: `parameters` [], `rowtype` [], `total` 0, `returned` (rows in the first
//!   rowset: `total` minus the chunks' rows), `queryId` "", `finalRoleName` "",
//!   `statementTypeId` 0, `version` 1; a `rowtype.type` the crate does not know becomes
//!   "variant" (the crate only reads it for JSON results);
//! - error `data` (null or partial): `errorCode` (the top-level `code`), `age` 0,
//!   `internalError` false, `queryId` "", `sqlState` "".

use bytes::Bytes;
use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

use super::config::Endpoint;

/// The result chunks of the last query, taken out of its response.
#[derive(Debug, Default, Clone)]
pub struct ResultChunks {
    pub chunks: Vec<ChunkRef>,
    /// Headers every chunk download needs (e.g. the server-side encryption key).
    pub headers: Vec<(String, String)>,
    /// Rows of the whole result, when the server says.
    pub total_rows: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct ChunkRef {
    pub url: String,
    pub rows: u64,
}

/// Where [`TolerantResponses`] leaves the chunks of the query it saw last. One per client:
/// queries on one client run one at a time.
pub type ChunkSlot = Arc<Mutex<Option<ResultChunks>>>;

pub struct RouteToEndpoint {
    /// The host the crate builds URLs for (`{account}.snowflakecomputing.com`, lower case).
    crate_host: String,
    endpoint: Endpoint,
}

impl RouteToEndpoint {
    pub fn new(account_name: &str, endpoint: Endpoint) -> Self {
        Self {
            crate_host: format!(
                "{}.snowflakecomputing.com",
                account_name.to_ascii_lowercase()
            ),
            endpoint,
        }
    }
}

#[async_trait::async_trait]
impl Middleware for RouteToEndpoint {
    async fn handle(
        &self,
        mut req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if req.url().host_str() == Some(self.crate_host.as_str()) {
            let url = req.url_mut();
            let rewritten = url
                .set_scheme(&self.endpoint.protocol)
                .and_then(|()| url.set_host(Some(&self.endpoint.host)).map_err(|_| ()))
                .and_then(|()| url.set_port(Some(self.endpoint.port)));
            if rewritten.is_err() {
                return Err(reqwest_middleware::Error::middleware(EndpointError(
                    self.endpoint.base_url(),
                )));
            }
        }
        next.run(req, extensions).await
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot address the Snowflake endpoint {0}")]
struct EndpointError(String);

#[derive(Debug, thiserror::Error)]
#[error("{url} answered HTTP {status}: {body}")]
struct NotJson {
    url: String,
    status: u16,
    body: String,
}

pub struct TolerantResponses {
    pub chunks: ChunkSlot,
}

#[derive(Clone, Copy)]
enum Call {
    Login,
    Query,
}

#[async_trait::async_trait]
impl Middleware for TolerantResponses {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let path = req.url().path();
        let call = if path.ends_with("/login-request") {
            Call::Login
        } else if path.ends_with("/query-request") {
            Call::Query
        } else {
            return next.run(req, extensions).await;
        };
        let url = format!(
            "{}://{}{}",
            req.url().scheme(),
            req.url().authority(),
            req.url().path()
        );
        let response = next.run(req, extensions).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        let Ok(mut value) = serde_json::from_slice::<Value>(&body) else {
            let text = String::from_utf8_lossy(&body);
            let body: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(reqwest_middleware::Error::middleware(NotJson {
                url,
                status: status.as_u16(),
                body: body.chars().take(200).collect(),
            }));
        };
        if let Value::Object(response) = &mut value {
            let success = response.get("success").and_then(Value::as_bool) == Some(true);
            match (call, success) {
                (Call::Login, true) => fill_login(response),
                (Call::Query, true) => {
                    let chunks = take_chunks(response);
                    *self.chunks.lock().expect("chunk slot") = Some(chunks);
                }
                (_, false) => fill_error(response),
            }
        }
        let mut rebuilt = http::Response::new(Bytes::from(
            serde_json::to_vec(&value).expect("JSON serialises"),
        ));
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        // The body was decoded (gzip) and re-encoded: drop stale length/encoding headers.
        rebuilt.headers_mut().remove(http::header::CONTENT_LENGTH);
        rebuilt.headers_mut().remove(http::header::CONTENT_ENCODING);
        Ok(Response::from(rebuilt))
    }
}

/// Sets `key` to `default` where it is absent or null.
fn fill(object: &mut Map<String, Value>, key: &str, default: Value) {
    match object.get(key) {
        Some(v) if !v.is_null() => {}
        _ => {
            object.insert(key.into(), default);
        }
    }
}

fn data_object(response: &mut Map<String, Value>) -> &mut Map<String, Value> {
    if !response.get("data").is_some_and(Value::is_object) {
        response.insert("data".into(), json!({}));
    }
    response
        .get_mut("data")
        .and_then(Value::as_object_mut)
        .expect("data is an object")
}

fn fill_login(response: &mut Map<String, Value>) {
    let data = data_object(response);
    fill(data, "sessionId", json!(0));
    fill(data, "masterToken", json!(""));
    fill(data, "validityInSeconds", json!(-1));
    fill(data, "masterValidityInSeconds", json!(-1));
    fill(data, "serverVersion", json!(""));
    fill(data, "sessionInfo", json!({}));
    if let Some(info) = data.get_mut("sessionInfo").and_then(Value::as_object_mut) {
        fill(info, "roleName", json!(""));
    }
}

const KNOWN_TYPES: &[&str] = &[
    "fixed",
    "real",
    "text",
    "date",
    "variant",
    "timestamp_ltz",
    "timestamp_ntz",
    "timestamp_tz",
    "object",
    "binary",
    "time",
    "boolean",
    "array",
];

/// Fills the query response's defaults and takes its chunk list out (the source streams it).
fn take_chunks(response: &mut Map<String, Value>) -> ResultChunks {
    let data = data_object(response);
    let chunks: Vec<ChunkRef> = match data.remove("chunks") {
        Some(Value::Array(chunks)) => chunks
            .iter()
            .filter_map(|c| {
                Some(ChunkRef {
                    url: c.get("url")?.as_str()?.to_string(),
                    rows: c.get("rowCount").and_then(Value::as_u64).unwrap_or(0),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut headers: Vec<(String, String)> = match data.get("chunkHeaders") {
        Some(Value::Object(h)) => h
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    // Without explicit headers, chunks are encrypted with the query result master key (SSE-C).
    if headers.is_empty()
        && let Some(key) = data.get("qrmk").and_then(Value::as_str)
    {
        headers.push((
            "x-amz-server-side-encryption-customer-algorithm".into(),
            "AES256".into(),
        ));
        headers.push((
            "x-amz-server-side-encryption-customer-key".into(),
            key.into(),
        ));
    }
    let total_rows = data.get("total").and_then(Value::as_u64);
    let chunk_rows: u64 = chunks.iter().map(|c| c.rows).sum();

    fill(data, "parameters", json!([]));
    fill(data, "rowtype", json!([]));
    fill(data, "total", json!(0));
    fill(
        data,
        "returned",
        json!(total_rows.unwrap_or(0).saturating_sub(chunk_rows)),
    );
    fill(data, "queryId", json!(""));
    fill(data, "finalRoleName", json!(""));
    fill(data, "statementTypeId", json!(0));
    fill(data, "version", json!(1));
    if let Some(Value::Array(rowtype)) = data.get_mut("rowtype") {
        for column in rowtype.iter_mut().filter_map(Value::as_object_mut) {
            fill(column, "name", json!(""));
            fill(column, "nullable", json!(true));
            let known = column
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| KNOWN_TYPES.contains(&t.to_ascii_lowercase().as_str()));
            if known {
                let lower = column["type"].as_str().unwrap_or("").to_ascii_lowercase();
                column.insert("type".into(), json!(lower));
            } else {
                column.insert("type".into(), json!("variant"));
            }
        }
    }
    ResultChunks {
        chunks,
        headers,
        total_rows,
    }
}

fn fill_error(response: &mut Map<String, Value>) {
    let code = response
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let data = data_object(response);
    fill(data, "errorCode", json!(code));
    fill(data, "age", json!(0));
    fill(data, "internalError", json!(false));
    fill(data, "queryId", json!(""));
    fill(data, "sqlState", json!(""));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn login_defaults_keep_present_values() {
        let mut r = object(
            json!({"success": true, "data": {"token": "t", "validityInSeconds": 60, "sessionInfo": {"databaseName": "D"}}}),
        );
        fill_login(&mut r);
        let d = &r["data"];
        assert_eq!(d["validityInSeconds"], 60);
        assert_eq!(d["masterValidityInSeconds"], -1);
        assert_eq!(d["sessionInfo"]["databaseName"], "D");
        assert_eq!(d["sessionInfo"]["roleName"], "");
    }

    #[test]
    fn query_chunks_are_taken_out() {
        let mut r = object(json!({"success": true, "data": {
            "rowtype": [{"name": "A", "type": "TEXT", "nullable": false}, {"name": "G", "type": "geography"}],
            "total": 10, "rowsetBase64": "x", "qrmk": "k",
            "chunks": [{"url": "https://bucket/c0", "rowCount": 4}, {"url": "https://bucket/c1", "rowCount": 3}]
        }}));
        let chunks = take_chunks(&mut r);
        assert_eq!(chunks.chunks.len(), 2);
        assert_eq!(chunks.chunks[1].rows, 3);
        assert_eq!(chunks.total_rows, Some(10));
        assert!(
            chunks
                .headers
                .iter()
                .any(|(k, v)| k.ends_with("customer-key") && v == "k")
        );
        let d = &r["data"];
        assert!(d.get("chunks").is_none());
        assert_eq!(d["returned"], 3);
        assert_eq!(d["rowtype"][0]["type"], "text");
        assert_eq!(d["rowtype"][1]["type"], "variant");
        assert_eq!(d["version"], 1);
    }

    #[test]
    fn error_with_null_data() {
        let mut r = object(
            json!({"success": false, "code": "390104", "message": "login again", "data": null}),
        );
        fill_error(&mut r);
        assert_eq!(r["data"]["errorCode"], "390104");
        assert_eq!(r["data"]["internalError"], false);
    }
}
