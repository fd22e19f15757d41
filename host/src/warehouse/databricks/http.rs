//! Requests to the workspace: authentication (a personal access token, or OAuth M2M tokens
//! fetched and renewed here), retries of 429/503 honouring `Retry-After`, and the API's error
//! bodies turned into [`DatabricksError`]s.
//!
//! The retry loop is ours: reqwest-retry (in the tree for Snowflake) does not read
//! `Retry-After`, which Databricks sends with its 429s.

use bytes::Bytes;
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::config::{Auth, Settings};
use super::{DatabricksError, one_line};

/// Attempts for a request answered 429/503 or that could not connect.
const ATTEMPTS: u32 = 6;
/// Longest wait between attempts, whatever `Retry-After` says.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

pub(crate) struct Http {
    client: reqwest::Client,
    host: String,
    auth: Auth,
    /// The current OAuth token and when to renew it.
    token: Mutex<Option<(String, Instant)>>,
}

/// An API answer that is not a success: status, `error_code` and `message`.
fn api_error(endpoint: &str, status: StatusCode, body: &[u8], host: &str) -> DatabricksError {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    // `error_code` is a string, but some endpoints send a number (403 "Invalid access token.").
    let code = match &json["error_code"] {
        Value::String(s) => s.clone(),
        Value::Null => status.canonical_reason().unwrap_or("").to_string(),
        other => other.to_string(),
    };
    let message = json["message"]
        .as_str()
        .or(json["error_description"].as_str())
        .map(super::squash)
        .unwrap_or_else(|| super::squash(&String::from_utf8_lossy(body)));
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return DatabricksError::Auth {
            host: host.into(),
            message: format!("{message} (HTTP {})", status.as_u16()),
        };
    }
    DatabricksError::Api {
        endpoint: endpoint.into(),
        status: status.as_u16(),
        code,
        message,
    }
}

/// How long to wait before attempt `attempt + 1`: `Retry-After` seconds when given, else
/// exponential backoff with jitter.
fn retry_wait(response: Option<&reqwest::Response>, attempt: u32) -> Duration {
    let after = response
        .and_then(|r| r.headers().get(reqwest::header::RETRY_AFTER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match after {
        Some(secs) => Duration::from_secs(secs),
        None => {
            let base = 250u64 << attempt.min(8);
            Duration::from_millis(base + fastrand::u64(0..=base / 2))
        }
    }
    .min(MAX_RETRY_WAIT)
}

impl Http {
    pub fn new(settings: &Settings) -> Result<Self, DatabricksError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("rechost/", env!("CARGO_PKG_VERSION")))
            .gzip(true)
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| DatabricksError::Setup(one_line(&e)))?;
        Ok(Self {
            client,
            host: settings.host.clone(),
            auth: settings.auth.clone(),
            token: Mutex::new(None),
        })
    }

    /// `{host}{path}` with each segment of `segments` appended percent-encoded.
    pub fn url(&self, path: &str, segments: &[&str]) -> Url {
        let mut url = Url::parse(&format!("{}{path}", self.host)).expect("host was validated");
        if !segments.is_empty() {
            url.path_segments_mut()
                .expect("http URLs have paths")
                .pop_if_empty()
                .extend(segments);
        }
        url
    }

    fn unreachable(&self, error: &reqwest::Error) -> DatabricksError {
        DatabricksError::Unreachable {
            host: self.host.clone(),
            message: one_line(error),
        }
    }

    /// Sends what `build` makes, again on 429/503 and when the connection could not be made.
    async fn send(
        &self,
        build: &(dyn Fn() -> reqwest::RequestBuilder + Sync),
    ) -> Result<reqwest::Response, DatabricksError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= ATTEMPTS;
            match build().send().await {
                Ok(response)
                    if !last
                        && matches!(
                            response.status(),
                            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                        ) =>
                {
                    tokio::time::sleep(retry_wait(Some(&response), attempt)).await;
                }
                Ok(response) => return Ok(response),
                // Only when nothing was sent: a statement must not be submitted twice.
                Err(e) if !last && e.is_connect() => {
                    tokio::time::sleep(retry_wait(None, attempt)).await;
                }
                Err(e) => return Err(self.unreachable(&e)),
            }
        }
    }

    /// The `Authorization` header value.
    async fn authorization(&self) -> Result<String, DatabricksError> {
        let (client_id, client_secret) = match &self.auth {
            Auth::Token(token) => return Ok(format!("Bearer {token}")),
            Auth::OAuthM2M {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let cached = self.token.lock().expect("token cache").clone();
        if let Some((token, renew_at)) = cached
            && Instant::now() < renew_at
        {
            return Ok(format!("Bearer {token}"));
        }
        // The workspace's token endpoint, client credentials in HTTP Basic (as the SDKs send).
        let url = self.url("/oidc/v1/token", &[]);
        let build = || {
            self.client
                .post(url.clone())
                .basic_auth(client_id, Some(client_secret))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&scope=all-apis")
        };
        let response = self.send(&build).await?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        if !status.is_success() {
            let error = api_error("/oidc/v1/token", status, &body, &self.host);
            return Err(match error {
                DatabricksError::Api { message, .. } | DatabricksError::Auth { message, .. } => {
                    DatabricksError::Auth {
                        host: self.host.clone(),
                        message: format!("OAuth token request for client {client_id}: {message}"),
                    }
                }
                other => other,
            });
        }
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let token = json["access_token"]
            .as_str()
            .ok_or_else(|| DatabricksError::Auth {
                host: self.host.clone(),
                message: "the OAuth token endpoint answered without an access_token".into(),
            })?;
        // Renewed a minute before it expires.
        let lifetime = json["expires_in"]
            .as_u64()
            .unwrap_or(3600)
            .saturating_sub(60);
        *self.token.lock().expect("token cache") = Some((
            token.to_string(),
            Instant::now() + Duration::from_secs(lifetime),
        ));
        Ok(format!("Bearer {token}"))
    }

    /// An authenticated API call answering JSON; `body` is sent as JSON.
    pub async fn api(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Value, DatabricksError> {
        let authorization = self.authorization().await?;
        let payload = body.map(|b| serde_json::to_vec(b).expect("JSON values serialize"));
        let build = || {
            let mut request = self
                .client
                .request(method.clone(), url.clone())
                .header("Authorization", &authorization);
            if let Some(payload) = &payload {
                request = request
                    .header("Content-Type", "application/json")
                    .body(payload.clone());
            }
            request
        };
        let response = self.send(&build).await?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        if !status.is_success() {
            return Err(api_error(url.path(), status, &bytes, &self.host));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| DatabricksError::Api {
            endpoint: url.path().into(),
            status: status.as_u16(),
            code: "INVALID_JSON".into(),
            message: e.to_string(),
        })
    }

    /// An authenticated upload of raw bytes (Files API).
    pub async fn put_bytes(&self, url: Url, body: Bytes) -> Result<(), DatabricksError> {
        let authorization = self.authorization().await?;
        let build = || {
            self.client
                .put(url.clone())
                .header("Authorization", &authorization)
                .header("Content-Type", "application/octet-stream")
                .body(body.clone())
        };
        let response = self.send(&build).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await.unwrap_or_default();
        Err(api_error(url.path(), status, &bytes, &self.host))
    }

    /// A presigned link, fetched WITHOUT the workspace's credentials (the storage refuses a
    /// request carrying two) but with the link's own headers. `Err((status, message))`.
    pub async fn fetch_link(
        &self,
        link: &str,
        headers: &[(String, String)],
    ) -> Result<Bytes, (Option<u16>, String)> {
        let build = || {
            let mut request = self.client.get(link);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request
        };
        let response = self.send(&build).await.map_err(|e| (None, e.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| (None, one_line(&e)))?;
        if status.is_success() {
            return Ok(body);
        }
        // S3 and Azure answer XML: keep its <Message>.
        let text = String::from_utf8_lossy(&body);
        let message = text
            .split_once("<Message>")
            .and_then(|(_, rest)| rest.split_once("</Message>"))
            .map_or_else(|| super::squash(&text), |(m, _)| m.to_string());
        Err((
            Some(status.as_u16()),
            format!("HTTP {}: {message}", status.as_u16()),
        ))
    }
}
