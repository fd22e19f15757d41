//! The Files API: a local file uploaded into a Unity Catalog volume
//! (`PUT /api/2.0/fs/files/Volumes/<catalog>/<schema>/<volume>/<path>`, up to 5 GiB in one
//! request, raw bytes).

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
        let segments: Vec<&str> = volume_path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.len() < 5
            || segments[0] != "Volumes"
            || segments.iter().any(|s| *s == "." || *s == "..")
        {
            return Err(upload_error(
                "expected /Volumes/<catalog>/<schema>/<volume>/<file>".into(),
            ));
        }
        let bytes = std::fs::read(file).map_err(|e| upload_error(one_line(&e)))?;
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
}
