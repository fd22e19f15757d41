//! One run at a time per S3 output prefix: a lock object created only if absent
//! (`If-None-Match: *`, atomic in S3), naming its holder, deleted when the run's last handle
//! on the output is dropped. A run killed with SIGKILL cannot delete it: the next run then
//! fails naming the holder and its age, and says how to remove it once no run is writing.
//!
//! Before the lock goes, every multipart upload still open under the prefix is aborted: while
//! it is held, those can only be this run's (a `CreateMultipartUpload` whose answer was lost)
//! or a killed run's, whose parts S3 would otherwise keep billing.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use std::sync::Arc;

use super::Shared;
use crate::sink::{LOCK_FILE, SinkError};

/// The held lock; dropping it aborts the prefix's open uploads and deletes the lock object.
pub(super) struct RootLock {
    shared: Arc<Shared>,
}

impl Drop for RootLock {
    fn drop(&mut self) {
        abort_open_uploads(&self.shared);
        release(&self.shared);
    }
}

pub(super) fn acquire(shared: &Arc<Shared>) -> Result<RootLock, SinkError> {
    let key = shared.key(LOCK_FILE);
    let holder = format!(
        "pid {} since {}",
        std::process::id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    );
    let put = shared.runtime.block_on(
        (shared.client.put_object())
            .bucket(&shared.bucket)
            .key(&key)
            .if_none_match("*")
            .body(ByteStream::from(holder.into_bytes()))
            .send(),
    );
    match put {
        Ok(_) => Ok(RootLock {
            shared: shared.clone(),
        }),
        Err(error) if error.code() == Some("PreconditionFailed") => Err(SinkError::Locked {
            root: shared.url(""),
            holder: format!(
                "{}; if no run is writing there, delete {}",
                current_holder(shared, &key),
                shared.url(LOCK_FILE)
            ),
        }),
        Err(error) => Err(shared.error(LOCK_FILE, error)),
    }
}

fn current_holder(shared: &Shared, key: &str) -> String {
    let got = shared.runtime.block_on(
        shared
            .client
            .get_object()
            .bucket(&shared.bucket)
            .key(key)
            .send(),
    );
    let Ok(object) = got else {
        return "holder unknown".into();
    };
    let body = shared.runtime.block_on(object.body.collect());
    body.map(|b| String::from_utf8_lossy(&b.into_bytes()).trim().to_string())
        .unwrap_or_else(|_| "holder unknown".into())
}

fn abort_open_uploads(shared: &Shared) {
    let prefix = shared.key("");
    let listed = shared.runtime.block_on(
        (shared.client.list_multipart_uploads())
            .bucket(&shared.bucket)
            .prefix(&prefix)
            .customize()
            .config_override(shared.patient())
            .send(),
    );
    for upload in listed.iter().flat_map(|listed| listed.uploads()) {
        if let (Some(key), Some(upload_id)) = (upload.key(), upload.upload_id()) {
            let request = shared.client.abort_multipart_upload();
            let request = request.bucket(&shared.bucket).key(key).upload_id(upload_id);
            let request = request.customize().config_override(shared.patient());
            let _ = shared.runtime.block_on(request.send());
        }
    }
}

fn release(shared: &Shared) {
    let key = shared.key(LOCK_FILE);
    let _ = shared.runtime.block_on(
        shared
            .client
            .delete_object()
            .bucket(&shared.bucket)
            .key(key)
            .send(),
    );
}
