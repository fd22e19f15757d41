//! The checks a manifest passes once, at load, before anything else sees it. A plugin is
//! untrusted: every string it declares either matches a strict pattern (names that become
//! identifiers, folders, file names or SQL) or is free text without control characters
//! (printed, never interpreted). The positions the host uses (`time_index`, `key_index`) are
//! filled in here.

use std::collections::HashSet;

use super::{DataType, DatasetSpec, Manifest, ManifestError, Reduction};

/// Column names: Avro names (what Personalize accepts), which every warehouse takes unquoted.
const COLUMN_RULE: &str =
    "a column name is a letter or `_`, then letters, digits or `_`, at most 128";
const TABLE_RULE: &str = "a table is [[database.]schema.]table, each part a letter or `_`, then letters, digits, `_` or `$`, at most 255";
const LABEL_RULE: &str = "letters, digits, `_`, `-`, `.` (and `+` in a version), starting with a letter or digit, at most 64";

fn is_column_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

fn is_table_part(part: &str) -> bool {
    let mut chars = part.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && part.len() <= 255
}

/// Plugin names, versions and option names: shown in reports and SQL comments.
fn is_label(text: &str, extra: &[char]) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') || extra.contains(&c)
        })
        && text.len() <= 64
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn name(
    field: &'static str,
    value: &str,
    valid: bool,
    rule: &'static str,
) -> Result<(), ManifestError> {
    if valid {
        return Ok(());
    }
    Err(ManifestError::BadName {
        field,
        value: value.to_string(),
        rule,
    })
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), ManifestError> {
    if value.chars().any(char::is_control) || value.chars().count() > max {
        return Err(ManifestError::BadText {
            field,
            value: value.to_string(),
            max,
        });
    }
    Ok(())
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
        self.check_text()?;
        let source = &mut self.source;
        let table_ok = (1..=3).contains(&source.table.split('.').count())
            && source.table.split('.').all(is_table_part);
        name("source table", &source.table, table_ok, TABLE_RULE)?;
        for column in &source.columns {
            name(
                "source column",
                &column.name,
                is_column_name(&column.name),
                COLUMN_RULE,
            )?;
        }
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

    /// Names and free text that are not columns or datasets.
    fn check_text(&self) -> Result<(), ManifestError> {
        name(
            "plugin name",
            &self.name,
            is_label(&self.name, &[]),
            LABEL_RULE,
        )?;
        name(
            "plugin version",
            &self.version,
            is_label(&self.version, &['+']),
            LABEL_RULE,
        )?;
        let domain_ok = !self.domain.is_empty()
            && self.domain.len() <= 64
            && (self.domain.chars()).all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !domain_ok {
            return Err(ManifestError::BadDomain {
                domain: self.domain.clone(),
            });
        }
        text("plugin description", &self.description, 1000)?;
        for option in &self.options {
            name(
                "option name",
                &option.name,
                is_label(&option.name, &[]),
                LABEL_RULE,
            )?;
            text("option description", &option.description, 1000)?;
            text("option default", &option.default_value, 1000)?;
        }
        for recommender in &self.recommenders {
            text("recommender name", &recommender.name, 128)?;
            if let Some(event_type) = &recommender.event_type {
                text("recommender event type", event_type, 256)?;
            }
        }
        Ok(())
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
        for column in self.returned_columns() {
            name(
                "dataset column",
                &column.name,
                is_column_name(&column.name),
                COLUMN_RULE,
            )?;
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
