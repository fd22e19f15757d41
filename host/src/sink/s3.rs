//! An S3 (or S3-compatible) prefix. Every object is a multipart upload: parts stream out as
//! they fill (memory: one part buffer per open object), the last part is sent when the object
//! is sealed, and only `CompleteMultipartUpload` at commit makes it visible. An object that is
//! dropped uncommitted has its upload aborted, so no parts are left billing the user.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Destination, SinkError, StagedObject};

mod lock;
// Reading back (validate): a child module, so it shares the client set up here.
#[path = "s3_read.rs"]
mod read;
pub use read::S3Reader;

/// S3's smallest part (except the last one).
pub const MIN_PART_SIZE: usize = 5 << 20;
pub const DEFAULT_PART_SIZE: usize = 8 << 20;
/// S3's largest part.
pub const MAX_PART_SIZE: usize = 5 << 30;
/// S3 allows 10,000 parts; parts grow after this many so objects up to ~250 GiB fit.
const PARTS_BEFORE_GROWTH: i32 = 2_000;

#[derive(Debug, Clone)]
pub struct S3Settings {
    /// A custom endpoint (S3-compatible stores, PrivateLink); implies path-style addressing.
    pub endpoint: Option<String>,
    pub part_size: usize,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            endpoint: None,
            part_size: DEFAULT_PART_SIZE,
        }
    }
}

struct Shared {
    runtime: tokio::runtime::Runtime,
    client: Client,
    bucket: String,
    prefix: String,
    endpoint: String,
    part_size: usize,
    uploaded: AtomicU64,
}

impl Shared {
    fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    /// For cleanup after a failure, which may be a flaky endpoint: retries longer than
    /// ordinary requests.
    fn patient(&self) -> aws_sdk_s3::config::Builder {
        let retry = aws_sdk_s3::config::retry::RetryConfig::standard()
            .with_max_attempts(8)
            .with_max_backoff(Duration::from_secs(5));
        aws_sdk_s3::config::Builder::new().retry_config(retry)
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(key))
    }

    fn error<E: ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        key: &str,
        error: SdkError<E>,
    ) -> SinkError {
        SinkError::S3 {
            location: self.url(key),
            message: explain(&error, &self.bucket, &self.endpoint),
        }
    }
}

/// `s3://bucket/prefix` as an output root, locked for one run while it or a handle of it
/// exists.
pub struct S3Dir {
    shared: Arc<Shared>,
    _lock: Arc<lock::RootLock>,
}

/// Splits `s3://bucket/some/prefix` into bucket and prefix (no trailing `/`).
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.trim_matches('/').to_string()))
}

impl S3Dir {
    /// Resolves credentials and region the standard AWS way and checks that the bucket can be
    /// listed, so a wrong key, a missing bucket or an unreachable endpoint fails before any
    /// data is read.
    pub fn connect(url: &str, settings: &S3Settings) -> Result<Self, SinkError> {
        let (bucket, prefix) = parse_url(url).ok_or_else(|| SinkError::S3 {
            location: url.to_string(),
            message: "expected s3://bucket/prefix".into(),
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| SinkError::Io {
                path: url.to_string(),
                source,
            })?;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(300))
            .build();
        let config = runtime.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .http_client(http)
                .timeout_config(timeouts)
                .load(),
        );
        let mut builder = aws_sdk_s3::config::Builder::from(&config);
        if config.region().is_none() {
            builder = builder.region(aws_sdk_s3::config::Region::new("us-east-1"));
        }
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        let endpoint = settings
            .endpoint
            .clone()
            .unwrap_or_else(|| "the AWS S3 endpoint".to_string());
        let shared = Arc::new(Shared {
            runtime,
            client: Client::from_conf(builder.build()),
            bucket,
            prefix,
            endpoint,
            part_size: settings.part_size.clamp(MIN_PART_SIZE, MAX_PART_SIZE),
            uploaded: AtomicU64::new(0),
        });
        let probe = shared.runtime.block_on(
            shared
                .client
                .list_objects_v2()
                .bucket(&shared.bucket)
                .prefix(&shared.prefix)
                .max_keys(1)
                .send(),
        );
        probe.map_err(|e| shared.error("", e))?;
        let lock = Arc::new(lock::acquire(&shared)?);
        Ok(Self {
            shared,
            _lock: lock,
        })
    }

    /// Bytes sent so far (all objects), for progress display.
    pub fn bytes_uploaded(&self) -> u64 {
        self.shared.uploaded.load(Ordering::Relaxed)
    }
}

/// One line that says what to fix. Never includes credentials.
fn explain<E: ProvideErrorMetadata + std::error::Error + 'static>(
    error: &SdkError<E>,
    bucket: &str,
    endpoint: &str,
) -> String {
    match error {
        SdkError::ServiceError(context) => {
            let e = context.err();
            match e.code() {
                Some("NoSuchBucket") => format!("bucket `{bucket}` does not exist"),
                Some("InvalidAccessKeyId") => "the AWS access key id is not known: check \
                    AWS_ACCESS_KEY_ID or your AWS profile"
                    .into(),
                Some("SignatureDoesNotMatch") => "the AWS secret access key is wrong for this \
                    access key id: check AWS_SECRET_ACCESS_KEY or your AWS profile"
                    .into(),
                Some("AccessDenied") => format!(
                    "access denied: the credentials need s3:ListBucket, s3:PutObject and \
                     s3:AbortMultipartUpload on bucket `{bucket}`"
                ),
                Some("ExpiredToken") => {
                    "the AWS session token has expired: refresh your credentials".into()
                }
                Some("PermanentRedirect") | Some("AuthorizationHeaderMalformed") => format!(
                    "bucket `{bucket}` is in another region: set AWS_REGION to the bucket's region"
                ),
                Some(code) => format!("{code}: {}", e.message().unwrap_or("no message")),
                None => format!("HTTP {} from S3", context.raw().status().as_u16()),
            }
        }
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            format!("cannot reach {endpoint}: {}", innermost(error))
        }
        SdkError::TimeoutError(_) => format!("{endpoint} did not answer in time"),
        _ => {
            let text = innermost(error);
            if text.contains("credentials") || text.contains("identity") {
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
                 AWS_PROFILE, or use SSO or an instance role"
                    .into()
            } else {
                text
            }
        }
    }
}

/// The deepest cause's message (SDK errors wrap the useful one several levels down).
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

impl Destination for S3Dir {
    fn create(&self, key: &str) -> Result<Box<dyn StagedObject>, SinkError> {
        Ok(Box::new(S3Object {
            shared: self.shared.clone(),
            key: key.to_string(),
            buffer: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
        }))
    }

    fn location(&self, key: &str) -> String {
        self.shared.url(key)
    }

    fn handle(&self) -> Arc<dyn Destination> {
        Arc::new(S3Dir {
            shared: self.shared.clone(),
            _lock: self._lock.clone(),
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, SinkError> {
        let objects = self.list_with_sizes(prefix)?;
        Ok(objects.into_iter().map(|(key, _)| key).collect())
    }

    fn remove(&self, key: &str) -> Result<(), SinkError> {
        self.delete(key)
    }
}

struct S3Object {
    shared: Arc<Shared>,
    /// Relative to the prefix.
    key: String,
    buffer: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
}

impl S3Object {
    fn part_size(&self) -> usize {
        let growth = (self.parts.len() as i32 / PARTS_BEFORE_GROWTH) as u32;
        (self.shared.part_size << growth.min(4)).min(MAX_PART_SIZE)
    }

    /// Sends the buffer as the next part (starting the multipart upload if needed).
    fn upload_buffer(&mut self) -> Result<(), SinkError> {
        let shared = self.shared.clone();
        let full_key = shared.key(&self.key);
        let upload_id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let created = shared
                    .runtime
                    .block_on(
                        shared
                            .client
                            .create_multipart_upload()
                            .bucket(&shared.bucket)
                            .key(&full_key)
                            .send(),
                    )
                    .map_err(|e| shared.error(&self.key, e))?;
                let id = created.upload_id().unwrap_or_default().to_string();
                self.upload_id = Some(id.clone());
                id
            }
        };
        let part_number = self.parts.len() as i32 + 1;
        let body = std::mem::take(&mut self.buffer);
        let size = body.len() as u64;
        let sent = shared
            .runtime
            .block_on(
                shared
                    .client
                    .upload_part()
                    .bucket(&shared.bucket)
                    .key(&full_key)
                    .upload_id(&upload_id)
                    .part_number(part_number)
                    .body(ByteStream::from(body))
                    .send(),
            )
            .map_err(|e| shared.error(&self.key, e))?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(part_number)
                .set_e_tag(sent.e_tag().map(str::to_string))
                .build(),
        );
        shared.uploaded.fetch_add(size, Ordering::Relaxed);
        Ok(())
    }
}

impl Write for S3Object {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= self.part_size() {
            self.upload_buffer()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl StagedObject for S3Object {
    fn seal(&mut self) -> Result<(), SinkError> {
        // The last part may be smaller than the minimum (or empty, for an empty object).
        if !self.buffer.is_empty() || self.parts.is_empty() {
            self.upload_buffer()?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<(), SinkError> {
        let shared = self.shared.clone();
        let upload_id = self.upload_id.take().expect("sealed before commit");
        let parts = std::mem::take(&mut self.parts);
        let result = shared.runtime.block_on(
            shared
                .client
                .complete_multipart_upload()
                .bucket(&shared.bucket)
                .key(shared.key(&self.key))
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send(),
        );
        if let Err(e) = result {
            self.upload_id = Some(upload_id); // Drop aborts it.
            return Err(shared.error(&self.key, e));
        }
        Ok(())
    }
}

impl Drop for S3Object {
    fn drop(&mut self) {
        if let Some(upload_id) = self.upload_id.take() {
            // Not committed: remove the parts (patiently; the error reported stays the
            // original one). An upload whose id never reached us is aborted with the output's
            // lock, see `lock`.
            let shared = &self.shared;
            let _ = shared.runtime.block_on(
                shared
                    .client
                    .abort_multipart_upload()
                    .bucket(&shared.bucket)
                    .key(shared.key(&self.key))
                    .upload_id(upload_id)
                    .customize()
                    .config_override(shared.patient())
                    .send(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn urls_split_into_bucket_and_prefix() {
        assert_eq!(parse_url("s3://b/p/q/"), Some(("b".into(), "p/q".into())));
        assert_eq!(parse_url("s3://b"), Some(("b".into(), String::new())));
        assert_eq!(parse_url("s3:///p"), None);
        assert_eq!(parse_url("/tmp/out"), None);
    }
}
