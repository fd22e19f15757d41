//! What a run reports: the summary returned to the caller, progress while it runs, and the
//! readiness files (JSON, HTML page) written beside the datasets.

use serde::Serialize;
use std::collections::BTreeMap;

use super::error::RunError;
use crate::diff::Snapshot;
use crate::manifest::{DatasetKind, Manifest};
use crate::readiness::html::{self, Provenance};
use crate::readiness::{ReadinessReport, ReadinessTracker};
use crate::sink::{Destination, StagedObject, stage_bytes};
use crate::transform::PluginInfo;
use crate::window::DateWindow;

#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary {
    pub name: String,
    pub kind: DatasetKind,
    /// Rows the plugin returned (before entity reduction).
    pub rows_returned: u64,
    pub rows_written: u64,
    /// Sorted runs the kept rows were spilled to when they outgrew the memory budget
    /// (entity datasets; absent when they fit in memory).
    #[serde(skip_serializing_if = "is_zero")]
    pub spilled_runs: u64,
    pub location: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub plugin: PluginInfo,
    pub window: DateWindow,
    /// What was read: `N file(s)` or `snowflake:TABLE`.
    pub source: String,
    pub input_files: usize,
    /// Rows of the input, whether read or skipped.
    pub rows_read: u64,
    pub rows_outside_window: u64,
    /// Of those outside the window, rows never read: Parquet row groups whose time
    /// statistics lie wholly outside it.
    #[serde(skip_serializing_if = "is_zero")]
    pub rows_skipped: u64,
    pub rows_transformed: u64,
    pub datasets: Vec<DatasetSummary>,
    pub dropped_rows: BTreeMap<String, u64>,
    pub readiness: ReadinessReport,
    pub readiness_location: String,
    pub elapsed_seconds: f64,
    /// What the plugin printed (capped), if anything.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub plugin_log: String,
}

/// Progress of a run, reported after every batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub rows_read: u64,
    /// Total rows when the source knows it up front.
    pub rows_total: Option<u64>,
}

/// The key of the readiness report for a domain, e.g. `readiness-ecommerce.json`.
pub fn readiness_key(domain: &str) -> String {
    format!("readiness-{}.json", domain.to_ascii_lowercase())
}

/// The readiness report as written beside the datasets: the report plus what produced it.
/// Nothing run-specific in it (time, paths, cache state): the same run writes the same bytes.
pub fn readiness_json(info: &PluginInfo, window: &DateWindow, report: &ReadinessReport) -> Vec<u8> {
    #[derive(Serialize)]
    struct ReadinessFile<'a> {
        plugin: PluginIdentity<'a>,
        window: &'a DateWindow,
        #[serde(flatten)]
        readiness: &'a ReadinessReport,
    }
    #[derive(Serialize)]
    struct PluginIdentity<'a> {
        name: &'a str,
        version: &'a str,
        domain: &'a str,
        sha256: &'a str,
    }
    serde_json::to_vec_pretty(&ReadinessFile {
        plugin: PluginIdentity {
            name: &info.name,
            version: &info.version,
            domain: &info.domain,
            sha256: &info.sha256,
        },
        window,
        readiness: report,
    })
    .expect("plain data serialises")
}

/// The readiness report of a run (compared with `--previous` when given), and its files
/// staged: the HTML page first and the JSON last, in the order they are committed (the JSON
/// marks a finished run).
pub(super) fn report(
    info: &PluginInfo,
    window: &DateWindow,
    previous: Option<&Snapshot>,
    tracker: ReadinessTracker,
    written: &Manifest,
    dropped_rows: BTreeMap<String, u64>,
    destination: &dyn Destination,
) -> Result<(ReadinessReport, Vec<Box<dyn StagedObject>>), RunError> {
    let (report, comparison) =
        crate::diff::report_with_previous(tracker, written, dropped_rows, previous)?;
    let provenance = Provenance {
        plugin_name: &info.name,
        plugin_version: &info.version,
        plugin_sha256: &info.sha256,
        window,
    };
    let page = html::render(&report, &provenance, comparison.as_ref())?;
    let staged_html = stage_bytes(destination, &html::html_key(&info.domain), page.as_bytes())?;
    let json = readiness_json(info, window, &report);
    let staged_json = stage_bytes(destination, &readiness_key(&info.domain), &json)?;
    Ok((report, vec![staged_html, staged_json]))
}
