//! Where datasets go. Every output object is staged and becomes visible under its final name
//! only when committed, after the whole run succeeded: a failed run leaves the previous
//! complete output in place.

pub mod avro;
mod dataset;
mod local;

pub use dataset::{DatasetWriter, StagedDataset};
pub use local::LocalDir;

use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot write {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {format} for dataset {dataset}: {message}")]
    Encode {
        dataset: String,
        format: &'static str,
        message: String,
    },
}

/// An output root: a local folder (or, later, an object store prefix).
pub trait Destination: Send + Sync {
    /// Starts the object `key` (`/`-separated, relative to the root). Nothing is visible
    /// under `key` until the returned object is committed; dropping it discards it.
    fn create(&self, key: &str) -> Result<Box<dyn StagedObject>, SinkError>;

    /// Where `key` ends up, for messages (a path or URL).
    fn location(&self, key: &str) -> String;
}

/// An object being written.
pub trait StagedObject: Write + Send {
    /// Makes the complete object visible under its final name (atomically replacing the
    /// previous one).
    fn commit(self: Box<Self>) -> Result<(), SinkError>;
}

/// Writes a small object in one go (schemas, reports) and returns it staged.
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
    Ok(object)
}
