//! Where datasets go. Every output object is staged and becomes visible under its final name
//! only when committed, after the whole run succeeded: a failed run leaves the previous
//! complete output in place.

pub mod avro;
mod dataset;
mod local;
mod lock;
#[cfg(feature = "s3")]
pub mod s3;
pub mod split;

pub use dataset::{DatasetWriter, StagedDataset, encode_csv_rows};
pub use local::LocalDir;
pub use lock::LOCK_FILE;
#[cfg(feature = "s3")]
pub use s3::S3Dir;

use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot write {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("S3 {location}: {message}")]
    S3 { location: String, message: String },
    #[error(
        "{root} is being written by another rechost run ({holder}); wait for it to finish or \
         choose another --out"
    )]
    Locked { root: String, holder: String },
    #[error("cannot write {format} for dataset {dataset}: {message}")]
    Encode {
        dataset: String,
        format: &'static str,
        message: String,
    },
}

/// An output root: a local folder or an S3 prefix.
pub trait Destination: Send + Sync {
    /// Starts the object `key` (`/`-separated, relative to the root). Nothing is visible
    /// under `key` until the returned object is committed; dropping it discards it.
    fn create(&self, key: &str) -> Result<Box<dyn StagedObject>, SinkError>;

    /// Where `key` ends up, for messages (a path or URL).
    fn location(&self, key: &str) -> String;

    /// A shared handle on the same root, for writers that create objects as they go.
    fn handle(&self) -> std::sync::Arc<dyn Destination>;

    /// Keys of the visible objects whose key starts with `prefix` (staged ones excluded).
    fn list(&self, prefix: &str) -> Result<Vec<String>, SinkError>;

    /// Removes the visible object `key` (absent is fine).
    fn remove(&self, key: &str) -> Result<(), SinkError>;
}

/// An object being written. Its life: `write`s, then `seal` (all bytes stored, still
/// invisible: this is where slow or failing I/O happens), then `commit` (a cheap rename or
/// completion that makes it visible). Dropping it before `commit` discards it.
pub trait StagedObject: Write + Send {
    fn seal(&mut self) -> Result<(), SinkError>;

    /// Makes the complete object visible under its final name, replacing the previous one.
    fn commit(self: Box<Self>) -> Result<(), SinkError>;
}

/// Writes a small object in one go (schemas, reports) and returns it sealed.
pub fn stage_bytes(
    destination: &dyn Destination,
    key: &str,
    bytes: &[u8],
) -> Result<Box<dyn StagedObject>, SinkError> {
    let mut object = destination.create(key)?;
    object.write_all(bytes).map_err(|source| SinkError::Io {
        path: destination.location(key),
        source,
    })?;
    object.seal()?;
    Ok(object)
}
