//! `rechost validate`: checks datasets already on disk (any folder with a `schema.avsc` and
//! CSV parts, whoever wrote them) against Personalize's import rules, without a plugin.
//! Problems name the file and line; errors are what would fail an import job.

mod rows;
mod schema;
mod store;

use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;
#[cfg(feature = "s3")]
use std::path::PathBuf;

#[cfg(feature = "s3")]
use crate::sink::s3::S3Settings;
#[cfg(feature = "s3")]
pub use store::S3Store;
pub use store::{LocalStore, Store};

use crate::manifest::DatasetKind;
use crate::readiness::limits::{self, ImportFit, MIN_INTERACTIONS};

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{message}")]
    Store { message: String },
    #[error(
        "{path}: no dataset found (a folder with schema.avsc and CSV files, or such folders inside it)"
    )]
    NoDataset { path: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// An import job would fail.
    Error,
    /// It would import, but something is worth knowing.
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based line where the record starts.
    pub line: Option<u64>,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetValidation {
    pub folder: String,
    pub kind: DatasetKind,
    pub rows: u64,
    pub parts: Vec<String>,
    pub event_types: BTreeMap<String, u64>,
    pub import_fit: ImportFit,
}

#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// No error: every dataset would import.
    pub ok: bool,
    pub datasets: Vec<DatasetValidation>,
    pub problems: Vec<Problem>,
}

/// The dataset folders at or directly under the root (`""` or `name/`).
fn dataset_folders(store: &dyn Store) -> Result<Vec<String>, ValidateError> {
    let root = store.entries("")?;
    if root.iter().any(|(name, _)| name == "schema.avsc") {
        return Ok(vec![String::new()]);
    }
    let mut folders = Vec::new();
    for (name, _) in root.iter().filter(|(name, _)| name.ends_with('/')) {
        if store.entries(name)?.iter().any(|(n, _)| n == "schema.avsc") {
            folders.push(name.clone());
        }
    }
    if folders.is_empty() {
        return Err(ValidateError::NoDataset {
            path: store.display(""),
        });
    }
    Ok(folders)
}

/// Validates every dataset at or under `root`: a local folder or `s3://bucket/prefix`.
#[cfg(feature = "s3")]
pub fn validate_path(root: &str, s3: &S3Settings) -> Result<Validation, ValidateError> {
    if root.starts_with("s3://") {
        validate(&S3Store::connect(root, s3)?)
    } else {
        validate(&LocalStore(PathBuf::from(root)))
    }
}

pub fn validate(store: &dyn Store) -> Result<Validation, ValidateError> {
    let mut datasets = Vec::new();
    let mut problems = Vec::new();
    for folder in dataset_folders(store)? {
        let (dataset, found) = validate_dataset(store, &folder)?;
        datasets.extend(dataset);
        problems.extend(found);
    }
    Ok(Validation {
        ok: !problems.iter().any(|p| p.severity == Severity::Error),
        datasets,
        problems,
    })
}

fn problem(file: String, severity: Severity, message: String) -> Problem {
    Problem {
        file,
        line: None,
        severity,
        message,
    }
}

/// One dataset folder: its schema, then every CSV part.
fn validate_dataset(
    store: &dyn Store,
    folder: &str,
) -> Result<(Option<DatasetValidation>, Vec<Problem>), ValidateError> {
    let schema_file = store.display(&format!("{folder}schema.avsc"));
    let schema = match read_schema(store, folder)? {
        Ok(schema) => schema,
        Err(message) => return Ok((None, vec![problem(schema_file, Severity::Error, message)])),
    };
    let mut problems: Vec<Problem> = (schema::problems(&schema).into_iter())
        .map(|m| problem(schema_file.clone(), Severity::Error, m))
        .collect();
    let parts: Vec<(String, u64)> = (store.entries(folder)?.into_iter())
        .filter(|(name, _)| name.ends_with(".csv"))
        .map(|(name, size)| (format!("{folder}{name}"), size))
        .collect();
    let folder_shown = store.display(folder);
    if parts.is_empty() {
        problems.push(problem(
            folder_shown.clone(),
            Severity::Error,
            "no CSV file beside schema.avsc".into(),
        ));
    }
    let mut totals = rows::Totals::default();
    for (key, _) in &parts {
        rows::check_part(store.read(key)?, &store.display(key), &schema, &mut totals);
    }
    totals.summarise_hidden();
    problems.append(&mut totals.problems);
    let name = folder
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let columns: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    let checks = limits::schema_checks(&name, schema.kind, &columns, totals.event_types.len());
    for check in checks.into_iter().filter(|c| !c.passed) {
        problems.push(problem(
            schema_file.clone(),
            Severity::Error,
            format!("{}: {}", check.rule, check.detail),
        ));
    }
    let fit = import_fit(store, &name, folder, &parts);
    if !fit.full && !fit.parts_incremental {
        problems.push(problem(
            folder_shown.clone(),
            Severity::Error,
            format!("{} bytes of CSV: {}", fit.csv_bytes, fit.modes()),
        ));
    }
    if schema.kind == DatasetKind::Interactions {
        problems.extend(training_warnings(&folder_shown, &totals));
    }
    let dataset = DatasetValidation {
        folder: folder_shown,
        kind: schema.kind,
        rows: totals.rows,
        parts: parts.iter().map(|(key, _)| store.display(key)).collect(),
        event_types: totals.event_types,
        import_fit: fit,
    };
    Ok((Some(dataset), problems))
}

/// The folder's `schema.avsc`, or what is wrong with it.
fn read_schema(
    store: &dyn Store,
    folder: &str,
) -> Result<Result<schema::Schema, String>, ValidateError> {
    let key = format!("{folder}schema.avsc");
    let mut text = String::new();
    (store.read(&key)?)
        .read_to_string(&mut text)
        .map_err(|source| ValidateError::Read {
            path: store.display(&key),
            source,
        })?;
    Ok(schema::parse(&text))
}

/// Which import modes the CSV parts (key, size) fit, and where to import them from.
fn import_fit(store: &dyn Store, name: &str, folder: &str, parts: &[(String, u64)]) -> ImportFit {
    let sizes: Vec<u64> = parts.iter().map(|(_, size)| *size).collect();
    let import_from = match parts.len() {
        1 => store.display(&parts[0].0),
        _ => format!("{}/", store.display(folder).trim_end_matches('/')),
    };
    let largest = sizes.iter().copied().max().unwrap_or(0);
    ImportFit::new(
        name,
        sizes.iter().sum(),
        parts.len() as u64,
        largest,
        import_from,
    )
}

/// Interactions that import but are too few to train on.
fn training_warnings(folder: &str, totals: &rows::Totals) -> Vec<Problem> {
    let mut warnings = Vec::new();
    if totals.rows < MIN_INTERACTIONS {
        warnings.push(problem(folder.to_string(), Severity::Warning, format!(
            "{} interactions: it imports, but Personalize needs at least {MIN_INTERACTIONS} to train", totals.rows
        )));
    }
    for (event_type, n) in totals
        .event_types
        .iter()
        .filter(|(_, n)| **n < limits::MIN_INTERACTIONS_AFTER_FILTER)
    {
        warnings.push(problem(folder.to_string(), Severity::Warning, format!(
            "only {n} `{event_type}` interactions: training on `{event_type}` alone needs at least {}",
            limits::MIN_INTERACTIONS_AFTER_FILTER
        )));
    }
    warnings
}
