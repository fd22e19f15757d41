//! Where the datasets to validate are: a local folder or an S3 prefix, seen the same way
//! (files with sizes, one folder level at a time, streamed reads).

#[cfg(feature = "s3")]
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use super::ValidateError;
#[cfg(feature = "s3")]
use crate::sink::S3Dir;
#[cfg(feature = "s3")]
use crate::sink::s3::S3Settings;

pub trait Store {
    /// Files directly in `folder` (`""` is the root, else it ends in `/`) with their sizes,
    /// and subfolders as names ending in `/`.
    fn entries(&self, folder: &str) -> Result<Vec<(String, u64)>, ValidateError>;

    fn read(&self, key: &str) -> Result<Box<dyn Read + '_>, ValidateError>;

    /// `key` as a person finds it (a path or URL).
    fn display(&self, key: &str) -> String;
}

pub struct LocalStore(pub PathBuf);

impl Store for LocalStore {
    fn entries(&self, folder: &str) -> Result<Vec<(String, u64)>, ValidateError> {
        let dir = self.0.join(folder);
        let read = |source| ValidateError::Read {
            path: dir.display().to_string(),
            source,
        };
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(read)? {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            match entry.metadata() {
                Ok(m) if m.is_dir() => entries.push((format!("{name}/"), 0)),
                Ok(m) => entries.push((name, m.len())),
                Err(_) => {}
            }
        }
        entries.sort();
        Ok(entries)
    }

    fn read(&self, key: &str) -> Result<Box<dyn Read + '_>, ValidateError> {
        let path = self.0.join(key);
        let file = std::fs::File::open(&path).map_err(|source| ValidateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
    }

    fn display(&self, key: &str) -> String {
        self.0.join(key).display().to_string()
    }
}

/// An S3 prefix, listed once.
#[cfg(feature = "s3")]
pub struct S3Store {
    dir: S3Dir,
    objects: BTreeMap<String, u64>,
}

#[cfg(feature = "s3")]
impl S3Store {
    pub fn connect(url: &str, settings: &S3Settings) -> Result<Self, ValidateError> {
        let store = |e: crate::sink::SinkError| ValidateError::Store {
            message: e.to_string(),
        };
        let dir = S3Dir::connect(url, settings).map_err(store)?;
        let objects = dir
            .list_with_sizes("")
            .map_err(store)?
            .into_iter()
            .collect();
        Ok(Self { dir, objects })
    }
}

#[cfg(feature = "s3")]
impl Store for S3Store {
    fn entries(&self, folder: &str) -> Result<Vec<(String, u64)>, ValidateError> {
        let mut entries: Vec<(String, u64)> = Vec::new();
        for (key, &size) in self.objects.range(folder.to_string()..) {
            let Some(rest) = key.strip_prefix(folder) else {
                break;
            };
            let entry = match rest.split_once('/') {
                Some((sub, _)) => (format!("{sub}/"), 0),
                None => (rest.to_string(), size),
            };
            if entries.last() != Some(&entry) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    fn read(&self, key: &str) -> Result<Box<dyn Read + '_>, ValidateError> {
        let size = self.objects.get(key).copied().unwrap_or(0);
        Ok(Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            self.dir.open_read(key, size),
        )))
    }

    fn display(&self, key: &str) -> String {
        crate::sink::Destination::location(&self.dir, key)
    }
}
