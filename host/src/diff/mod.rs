//! What changed between two runs: counts, users and items gained and lost, event-type mix,
//! date range. Each side is a readiness report, or an output folder (report + datasets, which
//! adds exactly which users and items came and went).

mod load;

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::readiness::html::Comparison;
use crate::readiness::{CountsError, ReadinessReport, ReadinessTracker};
pub use load::Ids;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Report { path: PathBuf, message: String },
}

/// One side of a comparison.
#[derive(Debug)]
pub struct Snapshot {
    /// Where it came from, for messages.
    pub label: String,
    pub domain: String,
    pub ready: bool,
    pub interactions_dataset: Option<String>,
    pub interactions: u64,
    pub users: u64,
    pub items: u64,
    pub per_event_type: BTreeMap<String, u64>,
    pub min_timestamp: Option<i64>,
    pub max_timestamp: Option<i64>,
    /// Rows per dataset.
    pub datasets: BTreeMap<String, u64>,
    /// The ids, when the snapshot is an output folder.
    pub ids: Option<Ids>,
}

impl Snapshot {
    pub fn from_report(report: &ReadinessReport, label: &str) -> Self {
        let json = serde_json::to_value(report).expect("serialisable");
        Self::from_json(&json, label.to_string()).expect("a report has a domain")
    }
}

/// Ids present on both sides.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Overlap {
    pub users: u64,
    pub items: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub what: String,
    pub old: String,
    pub new: String,
    pub change: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunDiff {
    pub old: String,
    pub new: String,
    pub users_gained: Option<u64>,
    pub users_lost: Option<u64>,
    pub items_gained: Option<u64>,
    pub items_lost: Option<u64>,
    pub changes: Vec<Change>,
}

fn signed(old: u64, new: u64) -> String {
    match new as i128 - old as i128 {
        0 => "=".to_string(),
        d if d > 0 => format!("+{d}"),
        d => d.to_string(),
    }
}

fn share(part: u64, total: u64) -> String {
    if total == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / total as f64)
    }
}

fn day(t: Option<i64>) -> String {
    (t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)))
        .map_or("-".to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// Compares two snapshots; `overlap` (ids on both sides) comes from the ids when both sides
/// have them, else from the caller.
pub fn compare(old: &Snapshot, new: &Snapshot, overlap: Option<Overlap>) -> RunDiff {
    let overlap = overlap.or_else(|| match (&old.ids, &new.ids) {
        (Some(a), Some(b)) => Some(Overlap {
            users: a.users.intersection(&b.users).count() as u64,
            items: a.items.intersection(&b.items).count() as u64,
        }),
        _ => None,
    });
    let mut changes = Vec::new();
    let mut count = |what: String, a: u64, b: u64| {
        changes.push(Change {
            what,
            old: a.to_string(),
            new: b.to_string(),
            change: signed(a, b),
        })
    };
    count("interactions".into(), old.interactions, new.interactions);
    count("users".into(), old.users, new.users);
    count("items".into(), old.items, new.items);
    let names: BTreeSet<&String> = old.datasets.keys().chain(new.datasets.keys()).collect();
    for name in names {
        let rows = |s: &Snapshot| s.datasets.get(name).copied().unwrap_or(0);
        count(format!("{name} rows"), rows(old), rows(new));
    }
    let types: BTreeSet<&String> = old
        .per_event_type
        .keys()
        .chain(new.per_event_type.keys())
        .collect();
    for t in types {
        let (a, b) = (
            old.per_event_type.get(t).copied().unwrap_or(0),
            new.per_event_type.get(t).copied().unwrap_or(0),
        );
        changes.push(Change {
            what: format!("`{t}` share of interactions"),
            old: share(a, old.interactions),
            new: share(b, new.interactions),
            change: signed(a, b),
        });
    }
    for (what, a, b) in [
        ("first interaction", old.min_timestamp, new.min_timestamp),
        ("last interaction", old.max_timestamp, new.max_timestamp),
    ] {
        let days = match (a, b) {
            (Some(a), Some(b)) => format!("{:+} days", b.div_euclid(86_400) - a.div_euclid(86_400)),
            _ => "-".into(),
        };
        changes.push(Change {
            what: what.into(),
            old: day(a),
            new: day(b),
            change: days,
        });
    }
    let ready = |r: bool| if r { "ready" } else { "not ready" }.to_string();
    let verdict_change = if old.ready == new.ready {
        "=".into()
    } else {
        "changed".into()
    };
    changes.push(Change {
        what: "verdict".into(),
        old: ready(old.ready),
        new: ready(new.ready),
        change: verdict_change,
    });
    RunDiff {
        old: old.label.clone(),
        new: new.label.clone(),
        users_gained: overlap.map(|o| new.users.saturating_sub(o.users)),
        users_lost: overlap.map(|o| old.users.saturating_sub(o.users)),
        items_gained: overlap.map(|o| new.items.saturating_sub(o.items)),
        items_lost: overlap.map(|o| old.items.saturating_sub(o.items)),
        changes,
    }
}

impl RunDiff {
    /// The rows of the comparison, the gained and lost ids first.
    pub fn rows(&self) -> Vec<[String; 4]> {
        let mut rows = Vec::new();
        let known = |sign: &str, n: Option<u64>| {
            n.map_or("unknown (a report has no ids)".into(), |n| {
                format!("{sign}{n}")
            })
        };
        for (what, n, sign) in [
            ("users gained", self.users_gained, "+"),
            ("users lost", self.users_lost, "-"),
            ("items gained", self.items_gained, "+"),
            ("items lost", self.items_lost, "-"),
        ] {
            rows.push([
                what.to_string(),
                String::new(),
                String::new(),
                known(sign, n),
            ]);
        }
        rows.extend(self.changes.iter().map(|c| {
            [
                c.what.clone(),
                c.old.clone(),
                c.new.clone(),
                c.change.clone(),
            ]
        }));
        rows
    }

    pub fn comparison(&self) -> Comparison {
        Comparison {
            against: self.old.clone(),
            rows: self.rows(),
        }
    }
}

impl std::fmt::Display for RunDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "old  {}\nnew  {}", self.old, self.new)?;
        let rows = self.rows();
        let width = rows.iter().map(|r| r[0].len()).max().unwrap_or(0);
        for [what, old, new, change] in rows {
            writeln!(f, "  {what:<width$}  {old:>12}  {new:>12}  {change}")?;
        }
        Ok(())
    }
}

/// The run's report, and its comparison with `previous` when given: ids of a previous
/// output folder are looked up among this run's (fingerprinted) users and items.
pub fn report_with_previous(
    tracker: ReadinessTracker,
    manifest: &crate::manifest::Manifest,
    dropped_rows: BTreeMap<String, u64>,
    previous: Option<&Snapshot>,
) -> Result<(ReadinessReport, Option<Comparison>), CountsError> {
    let overlap = match previous.and_then(|p| p.ids.as_ref()) {
        Some(ids) => Some(Overlap {
            users: tracker.users_present(&ids.users)?,
            items: tracker.items_present(&ids.items)?,
        }),
        None => None,
    };
    let report = tracker.report(manifest, dropped_rows)?;
    let comparison = previous
        .map(|old| compare(old, &Snapshot::from_report(&report, "this run"), overlap).comparison());
    Ok((report, comparison))
}
