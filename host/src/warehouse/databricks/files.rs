//! The Files API: a local file uploaded into a Unity Catalog volume
//! (`PUT /api/2.0/fs/files/Volumes/<catalog>/<schema>/<volume>/<path>`, up to 5 GiB in one
//! request, raw bytes), and a folder inside a volume removed with everything in it.

use reqwest::Method;
use std::path::Path;

use super::client::Databricks;
use super::{DatabricksError, one_line};

impl Databricks {
    /// Uploads `file` to `volume_path` (`/Volumes/...`), replacing what is there when
    /// `overwrite`. Missing folders inside the volume are created by the API.
    pub fn upload(
        &self,
        file: &Path,
        volume_path: &str,
        overwrite: bool,
    ) -> Result<(), DatabricksError> {
        let upload_error = |message: String| DatabricksError::Upload {
            file: file.into(),
            path: volume_path.into(),
            message,
        };
        if volume_segments(volume_path).is_none() {
            return Err(upload_error(
                "expected /Volumes/<catalog>/<schema>/<volume>/<file>".into(),
            ));
        }
        let bytes = std::fs::read(file).map_err(|e| upload_error(one_line(&e)))?;
        self.upload_bytes(bytes, volume_path, overwrite)
            .map_err(|error| match error {
                DatabricksError::Upload { message, .. } => upload_error(message),
                other => other,
            })
    }

    /// Uploads `bytes` as the file `volume_path` (`/Volumes/...`).
    pub fn upload_bytes(
        &self,
        bytes: Vec<u8>,
        volume_path: &str,
        overwrite: bool,
    ) -> Result<(), DatabricksError> {
        let upload_error = |message: String| DatabricksError::Upload {
            file: "(bytes)".into(),
            path: volume_path.into(),
            message,
        };
        let segments = volume_segments(volume_path).ok_or_else(|| {
            upload_error("expected /Volumes/<catalog>/<schema>/<volume>/<file>".into())
        })?;
        let mut url = self.http.url("/api/2.0/fs/files", &segments);
        url.query_pairs_mut()
            .append_pair("overwrite", if overwrite { "true" } else { "false" });
        self.runtime
            .block_on(self.http.put_bytes(url, bytes.into()))
            .map_err(|error| match error {
                DatabricksError::Api {
                    status,
                    code,
                    message,
                    ..
                } => upload_error(format!("HTTP {status} ({code}): {message}")),
                other => other,
            })
    }

    /// Removes the folder `volume_path` (`/Volumes/...`) and everything in it; an absent
    /// folder is fine. Whether there was a folder to remove.
    pub fn remove_folder(&self, volume_path: &str) -> Result<bool, DatabricksError> {
        let segments = volume_segments(volume_path).ok_or_else(|| DatabricksError::Upload {
            file: "(folder)".into(),
            path: volume_path.into(),
            message: "expected /Volumes/<catalog>/<schema>/<volume>/<folder>".into(),
        })?;
        self.runtime.block_on(self.remove_tree(&segments))
    }

    async fn remove_tree(&self, segments: &[&str]) -> Result<bool, DatabricksError> {
        let folder = self.http.url("/api/2.0/fs/directories", segments);
        let mut page_token: Option<String> = None;
        let mut entries = Vec::new();
        loop {
            let mut url = folder.clone();
            if let Some(token) = &page_token {
                url.query_pairs_mut().append_pair("page_token", token);
            }
            let listing = match self.http.api(Method::GET, url, None).await {
                Ok(listing) => listing,
                Err(DatabricksError::Api { status: 404, .. }) => return Ok(false),
                Err(other) => return Err(other),
            };
            for entry in listing["contents"].as_array().into_iter().flatten() {
                let (Some(path), directory) = (
                    entry["path"].as_str(),
                    entry["is_directory"].as_bool().unwrap_or(false),
                ) else {
                    continue;
                };
                entries.push((path.to_string(), directory));
            }
            match listing["next_page_token"].as_str() {
                Some(token) if !token.is_empty() => page_token = Some(token.to_string()),
                _ => break,
            }
        }
        for (path, directory) in entries {
            let inner: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            if directory {
                Box::pin(self.remove_tree(&inner)).await?;
            } else {
                let url = self.http.url("/api/2.0/fs/files", &inner);
                match self.http.api(Method::DELETE, url, None).await {
                    Ok(_) | Err(DatabricksError::Api { status: 404, .. }) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        match self.http.api(Method::DELETE, folder, None).await {
            Ok(_) | Err(DatabricksError::Api { status: 404, .. }) => Ok(true),
            Err(other) => Err(other),
        }
    }
}

/// The path segments of `/Volumes/<catalog>/<schema>/<volume>/<path>`, none `.` or `..`.
fn volume_segments(volume_path: &str) -> Option<Vec<&str>> {
    let segments: Vec<&str> = volume_path.split('/').filter(|s| !s.is_empty()).collect();
    let valid = segments.len() >= 5
        && segments[0] == "Volumes"
        && !segments.iter().any(|s| *s == "." || *s == "..");
    valid.then_some(segments)
}
