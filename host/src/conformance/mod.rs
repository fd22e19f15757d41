//! Conformance of a plugin before anything real runs (`rechost check`): its manifest says
//! what Personalize needs (roles, keys, metadata), and its transform survives the batches real
//! exports contain (empty, all NULL, NULL next to empty strings, pre-1970 times, Unicode,
//! 256-character ids) within its limits, deterministically. Every finding carries a hint.

mod cases;
mod rules;

use serde::Serialize;

use crate::plugin::Plugin;
use crate::transform::TransformError;

/// One check and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What was checked, e.g. `manifest: interactions roles` or `batch: pre-1970 timestamps`.
    pub check: String,
    pub passed: bool,
    /// What went wrong (empty when passed).
    pub problem: String,
    /// How to fix it (empty when passed).
    pub hint: String,
}

impl Finding {
    fn pass(check: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            passed: true,
            problem: String::new(),
            hint: String::new(),
        }
    }

    fn fail(check: impl Into<String>, problem: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            passed: false,
            problem: problem.into(),
            hint: hint.into(),
        }
    }
}

/// Every check on a loaded plugin with its resolved `options`.
pub fn check(plugin: &Plugin, options: &[(String, String)]) -> Vec<Finding> {
    let mut findings = rules::manifest_rules(&plugin.manifest);
    findings.extend(cases::batch_cases(plugin, options));
    findings
}

/// The hint for a failed call, by how it failed.
fn call_hint(error: &TransformError) -> &'static str {
    match error {
        TransformError::Reported { .. } => {
            "drop the rows you cannot use and count them by reason (the SDKs' drop counter) \
             instead of failing the whole batch"
        }
        TransformError::BadOutput { .. } => {
            "every returned column must match the manifest: its type, one value per row, \
             valid UTF-8, no NULL in a non-nullable column (build columns with the SDK builders)"
        }
        TransformError::Failed { what, .. } if what.contains("time limit") => {
            "the transform is too slow for this batch: work a column at a time, avoid \
             per-row allocations and helper calls"
        }
        TransformError::Failed { what, .. } if what.contains("memory limit") => {
            "the transform uses more memory than allowed: size builders from the row count, \
             do not keep data across calls"
        }
        TransformError::Failed { .. } => {
            "the plugin trapped (a panic or an uncaught exception): read every column \
             through the SDK readers, which handle NULLs, and check the message above"
        }
        TransformError::Instantiate { .. } => {
            "the component cannot start: check its imports (no network, files or clocks \
             beyond what wasi:cli gives) and the build command in docs/plugins.md"
        }
    }
}
