//! Reading one side of a comparison: a readiness JSON report, or an output folder (its
//! report plus the ids in its interactions CSV parts).

use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::{DiffError, Snapshot};

/// Ids that occur in an output's interactions.
#[derive(Debug, Default)]
pub struct Ids {
    pub users: HashSet<String>,
    pub items: HashSet<String>,
}

impl Snapshot {
    /// `path`: a `readiness-*.json` file or a folder holding exactly one.
    pub fn load(path: &Path) -> Result<Self, DiffError> {
        if path.is_dir() {
            let report = only_report(path)?;
            let mut snapshot = Self::from_json(&read_json(&report)?, path.display().to_string())
                .map_err(|message| DiffError::Report {
                    path: report.clone(),
                    message,
                })?;
            if let Some(dataset) = &snapshot.interactions_dataset {
                snapshot.ids = Some(read_ids(&path.join(dataset))?);
            }
            Ok(snapshot)
        } else {
            Self::from_json(&read_json(path)?, path.display().to_string()).map_err(|message| {
                DiffError::Report {
                    path: path.to_path_buf(),
                    message,
                }
            })
        }
    }

    /// The fields of a readiness report (JSON) that a comparison uses.
    pub fn from_json(report: &Value, label: String) -> Result<Self, String> {
        let domain = report["domain"]
            .as_str()
            .ok_or("no `domain` field: not a readiness report")?;
        let i = &report["interactions"];
        let count = |v: &Value| v.as_u64().unwrap_or(0);
        let per_event_type: BTreeMap<String, u64> = (i["per_event_type"].as_object())
            .map(|m| m.iter().map(|(k, v)| (k.clone(), count(v))).collect())
            .unwrap_or_default();
        let datasets = (report["datasets"].as_array())
            .map(|ds| {
                ds.iter()
                    .filter_map(|d| Some((d["name"].as_str()?.to_string(), count(&d["rows"]))))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Snapshot {
            label,
            domain: domain.to_string(),
            ready: report["ready"].as_bool().unwrap_or(false),
            interactions_dataset: i["dataset"].as_str().map(str::to_string),
            interactions: count(&i["interactions"]),
            users: count(&i["distinct_users"]),
            items: count(&i["distinct_items"]),
            per_event_type,
            min_timestamp: i["min_timestamp"].as_i64(),
            max_timestamp: i["max_timestamp"].as_i64(),
            datasets,
            ids: None,
        })
    }
}

fn read_json(path: &Path) -> Result<Value, DiffError> {
    let bytes = std::fs::read(path).map_err(|source| DiffError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| DiffError::Report {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The one `readiness-*.json` in `dir`.
fn only_report(dir: &Path) -> Result<PathBuf, DiffError> {
    let read = |source| DiffError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut reports: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("readiness-") && name.ends_with(".json")
        })
        .collect();
    reports.sort();
    match reports.len() {
        1 => Ok(reports.remove(0)),
        n => Err(DiffError::Report {
            path: dir.to_path_buf(),
            message: format!("expected one readiness-<domain>.json in the folder, found {n}"),
        }),
    }
}

/// USER_ID and ITEM_ID of every CSV part in a dataset folder.
fn read_ids(folder: &Path) -> Result<Ids, DiffError> {
    let mut ids = Ids::default();
    let mut parts: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|source| DiffError::Read {
            path: folder.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    parts.sort();
    for part in parts {
        let csv_error = |e: csv::Error| DiffError::Report {
            path: part.clone(),
            message: e.to_string(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .escape(Some(b'\\'))
            .double_quote(false)
            .from_path(&part)
            .map_err(csv_error)?;
        let headers = reader.headers().map_err(csv_error)?.clone();
        let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (user, item) = (column("USER_ID"), column("ITEM_ID"));
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            if let Some(u) = user.and_then(|c| record.get(c)) {
                ids.users.insert(u.to_string());
            }
            if let Some(i) = item.and_then(|c| record.get(c)) {
                ids.items.insert(i.to_string());
            }
        }
    }
    Ok(ids)
}
