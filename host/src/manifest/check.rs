//! The checks a manifest passes once, at load, before anything else sees it. The positions
//! the host uses (`time_index`, `key_index`) are filled in here.

use std::collections::HashSet;

use super::{DataType, DatasetSpec, Manifest, ManifestError, Reduction};

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn check_names<'a>(
    what: &'static str,
    names: impl IntoIterator<Item = &'a str>,
    case_insensitive: bool,
) -> Result<(), ManifestError> {
    let mut seen = HashSet::new();
    for name in names {
        if name.is_empty() {
            return Err(ManifestError::EmptyName { what });
        }
        let folded = if case_insensitive {
            name.to_ascii_lowercase()
        } else {
            name.to_string()
        };
        if !seen.insert(folded) {
            return Err(ManifestError::Duplicate {
                what,
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

impl Manifest {
    /// Checks a manifest as a plugin described it and fills in the column positions the host
    /// uses: the rest of the host never sees an inconsistent or unsafe one.
    pub fn check(mut self) -> Result<Self, ManifestError> {
        let source = &mut self.source;
        check_names(
            "source column",
            source.columns.iter().map(|c| c.name.as_str()),
            true,
        )?;
        source.time_index = (source.columns.iter())
            .position(|c| {
                c.name.eq_ignore_ascii_case(&source.time_column)
                    && c.data_type == DataType::Timestamp
            })
            .ok_or_else(|| ManifestError::BadTimeColumn {
                name: source.time_column.clone(),
            })?;
        let domain_ok = !self.domain.is_empty()
            && (self.domain.chars()).all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !domain_ok {
            return Err(ManifestError::BadDomain {
                domain: self.domain.clone(),
            });
        }
        for dataset in &mut self.datasets {
            dataset.check()?;
        }
        if self.datasets.is_empty() {
            return Err(ManifestError::NoDatasets);
        }
        // Dataset names become folders: compare case-insensitively for case-insensitive file systems.
        check_names(
            "dataset",
            self.datasets.iter().map(|d| d.name.as_str()),
            true,
        )?;
        check_names(
            "option",
            self.options.iter().map(|o| o.name.as_str()),
            false,
        )?;
        Ok(self)
    }
}

impl DatasetSpec {
    fn check(&mut self) -> Result<(), ManifestError> {
        // Folders beside the readiness report: never a path, never the report's name.
        if !is_plain_name(&self.name) || self.name.starts_with("readiness-") {
            return Err(ManifestError::BadDatasetName {
                name: self.name.clone(),
            });
        }
        if let Reduction::Entity { key, key_index, .. } = &mut self.reduction {
            *key_index = (self.columns.iter())
                .position(|c| c.name == *key && !c.nullable)
                .ok_or_else(|| ManifestError::BadKey {
                    dataset: self.name.clone(),
                    key: key.clone(),
                })?;
        }
        check_names(
            "dataset column",
            self.returned_columns().map(|c| c.name.as_str()),
            false,
        )
    }
}
