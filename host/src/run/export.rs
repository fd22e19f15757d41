//! Which of the plugin's datasets a run writes: all, or the ones a project file exports. The
//! plugin still returns every dataset; the others are only counted (neither reduced, written
//! nor staged), and readiness sees only what is written.

use std::collections::BTreeSet;

use super::RunError;
use crate::manifest::Manifest;

/// The datasets a run writes.
pub(super) struct Export {
    /// Per manifest dataset: whether it is written.
    pub mask: Vec<bool>,
    /// The manifest with only the written datasets (readiness, the commit loop, the summary).
    pub written: Manifest,
}

impl Export {
    /// Every name in `export` must be one of the plugin's datasets (`None`: all of them).
    pub fn new(manifest: &Manifest, export: Option<&BTreeSet<String>>) -> Result<Self, RunError> {
        let mask = match export {
            None => vec![true; manifest.datasets.len()],
            Some(export) => {
                let unknown = export
                    .iter()
                    .find(|n| !manifest.datasets.iter().any(|d| &d.name == *n));
                if let Some(name) = unknown {
                    let known: Vec<&str> =
                        manifest.datasets.iter().map(|d| d.name.as_str()).collect();
                    return Err(RunError::UnknownExport {
                        name: name.clone(),
                        known: known.join(", "),
                    });
                }
                (manifest.datasets.iter())
                    .map(|d| export.contains(&d.name))
                    .collect()
            }
        };
        let written = Manifest {
            datasets: (manifest.datasets.iter().zip(&mask))
                .filter(|(_, e)| **e)
                .map(|(d, _)| d.clone())
                .collect(),
            ..manifest.clone()
        };
        Ok(Self { mask, written })
    }

    /// Manifest dataset index -> index among the written datasets.
    pub fn written_index(&self) -> Vec<Option<usize>> {
        (self.mask.iter())
            .scan(0, |next, &e| {
                let index = e.then_some(*next);
                *next += usize::from(e);
                Some(index)
            })
            .collect()
    }
}
