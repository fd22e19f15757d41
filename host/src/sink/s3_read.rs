//! Reading objects back from an S3 prefix (`rechost validate s3://...`): listing with sizes,
//! and ranged GETs so a large CSV streams through in chunks; and removing an object (CSV
//! parts a later run no longer writes).

use std::io::Read;
use std::sync::Arc;

use super::{S3Dir, Shared};
use crate::sink::SinkError;

/// Bytes fetched per ranged GET.
const CHUNK: u64 = 8 << 20;

impl S3Dir {
    /// Removes the object `key` (absent is fine: S3 deletes are idempotent).
    pub(super) fn delete(&self, key: &str) -> Result<(), SinkError> {
        let shared = &self.shared;
        let request = (shared.client.delete_object())
            .bucket(&shared.bucket)
            .key(shared.key(key))
            .send();
        (shared.runtime.block_on(request)).map_err(|e| shared.error(key, e))?;
        Ok(())
    }

    /// Keys (relative to the prefix) and sizes of the objects under `prefix`.
    pub fn list_with_sizes(&self, prefix: &str) -> Result<Vec<(String, u64)>, SinkError> {
        let shared = &self.shared;
        let root = shared.key("");
        let mut objects = Vec::new();
        let mut token = None;
        loop {
            let request = (shared.client.list_objects_v2())
                .bucket(&shared.bucket)
                .prefix(shared.key(prefix))
                .set_continuation_token(token)
                .send();
            let page = (shared.runtime.block_on(request)).map_err(|e| shared.error(prefix, e))?;
            for object in page.contents() {
                let key = object.key().unwrap_or_default();
                let relative = key
                    .strip_prefix(&root)
                    .unwrap_or(key)
                    .trim_start_matches('/');
                objects.push((
                    relative.to_string(),
                    object.size().unwrap_or(0).max(0) as u64,
                ));
            }
            token = page.next_continuation_token().map(str::to_string);
            if token.is_none() {
                return Ok(objects);
            }
        }
    }

    /// A reader over the object `key` of `size` bytes.
    pub fn open_read(&self, key: &str, size: u64) -> S3Reader {
        S3Reader {
            shared: self.shared.clone(),
            key: key.to_string(),
            size,
            offset: 0,
            chunk: Vec::new(),
            position: 0,
        }
    }
}

pub struct S3Reader {
    shared: Arc<Shared>,
    key: String,
    size: u64,
    offset: u64,
    chunk: Vec<u8>,
    position: usize,
}

impl S3Reader {
    fn fetch(&mut self) -> Result<(), SinkError> {
        let shared = &self.shared;
        let end = (self.offset + CHUNK).min(self.size) - 1;
        let request = (shared.client.get_object())
            .bucket(&shared.bucket)
            .key(shared.key(&self.key))
            .range(format!("bytes={}-{end}", self.offset))
            .send();
        let body = async {
            let object = request.await.map_err(|e| shared.error(&self.key, e))?;
            (object.body.collect().await)
                .map(|b| b.into_bytes())
                .map_err(|e| SinkError::S3 {
                    location: shared.url(&self.key),
                    message: e.to_string(),
                })
        };
        self.chunk = shared.runtime.block_on(body)?.to_vec();
        self.offset += self.chunk.len() as u64;
        self.position = 0;
        Ok(())
    }
}

impl Read for S3Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.position == self.chunk.len() {
            if self.offset >= self.size {
                return Ok(0);
            }
            self.fetch()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            if self.chunk.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.chunk.len() - self.position);
        buf[..n].copy_from_slice(&self.chunk[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}
