//! The query's rows gathered into the report's statistics: whole-dataset counts, id and
//! categorical checks, and the interactions' histograms.

use std::collections::BTreeMap;

use super::{ReadinessSqlError, interactions_index};
use crate::manifest::{DataType, DatasetSpec, Manifest};
use crate::readiness::limits::{ImportFit, MAX_CATEGORICAL_CHARS, MAX_ID_CHARS};
use crate::readiness::{Aggregates, CategoryStat, InteractionCounts};

/// One row of the query: `(stat, dataset, k1, k2, n)`.
pub(super) struct StatRow<'a>(pub &'a [Option<String>]);

impl StatRow<'_> {
    fn bad(&self, message: &str) -> ReadinessSqlError {
        ReadinessSqlError::BadRow {
            row: self.0.to_vec(),
            message: message.to_string(),
        }
    }

    fn text(&self, column: usize) -> Option<&str> {
        self.0.get(column).and_then(|v| v.as_deref())
    }

    fn count(&self, column: usize) -> Result<u64, ReadinessSqlError> {
        (self.text(column))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| self.bad("not a count"))
    }

    fn signed(&self, column: usize) -> Result<Option<i64>, ReadinessSqlError> {
        (self.text(column))
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| self.bad("not a number"))
            })
            .transpose()
    }
}

/// The statistics gathered from the rows so far.
pub(super) struct Collector<'a> {
    manifest: &'a Manifest,
    interactions: Option<usize>,
    aggregates: Aggregates,
    counts: InteractionCounts,
    csv_sizes: Vec<Vec<u64>>,
}

impl<'a> Collector<'a> {
    pub fn new(manifest: &'a Manifest) -> Self {
        let datasets = manifest.datasets.len();
        let categories = (manifest.datasets.iter())
            .map(|d| {
                let n = (d.columns.iter())
                    .filter(|c| c.categorical && c.data_type == DataType::Utf8)
                    .count();
                vec![CategoryStat::default(); n]
            })
            .collect();
        Self {
            manifest,
            interactions: interactions_index(manifest),
            aggregates: Aggregates {
                rows: vec![0; datasets],
                interactions: None,
                violations: BTreeMap::new(),
                categories,
                import_fit: Vec::new(),
            },
            counts: InteractionCounts::default(),
            csv_sizes: vec![Vec::new(); datasets],
        }
    }

    fn violation(&mut self, what: String, rows: u64) {
        if rows > 0 {
            *self.aggregates.violations.entry(what).or_default() += rows;
        }
    }

    pub fn add(&mut self, row: &StatRow<'_>) -> Result<(), ReadinessSqlError> {
        if row.0.len() != 5 {
            return Err(row.bad("expected 5 columns"));
        }
        let index = row.count(1)? as usize;
        if index >= self.manifest.datasets.len() {
            return Err(row.bad("no such dataset"));
        }
        match row.text(0).unwrap_or_default() {
            "rows" => self.aggregates.rows[index] = row.count(4)?,
            "id" => {
                let role = row.text(2).unwrap_or_default().to_string();
                self.violation(
                    format!("{role} longer than {MAX_ID_CHARS} characters"),
                    row.count(3)?,
                );
                self.violation(format!("{role} containing a `\"`"), row.count(4)?);
            }
            "category" | "distinct" => self.add_category(index, row)?,
            "csv" => self.csv_sizes[index].push(row.count(4)?),
            _ if Some(index) != self.interactions => {
                return Err(row.bad("interaction statistics of another dataset"));
            }
            _ => self.add_interactions(row)?,
        }
        Ok(())
    }

    fn add_category(&mut self, index: usize, row: &StatRow<'_>) -> Result<(), ReadinessSqlError> {
        let slot = row.count(2)? as usize;
        let name = categorical_name(&self.manifest.datasets[index], slot)
            .ok_or_else(|| row.bad("no such categorical column"))?
            .to_string();
        if row.text(0) == Some("distinct") {
            self.aggregates.categories[index][slot].distinct = row.count(4)?;
        } else {
            self.aggregates.categories[index][slot].longest = row.count(3)? as usize;
            let what = format!("{name} value longer than {MAX_CATEGORICAL_CHARS} characters");
            self.violation(what, row.count(4)?);
        }
        Ok(())
    }

    fn add_interactions(&mut self, row: &StatRow<'_>) -> Result<(), ReadinessSqlError> {
        let counts = &mut self.counts;
        match row.text(0).unwrap_or_default() {
            "users" => _ = counts.user_histogram.insert(row.count(2)?, row.count(4)?),
            "items" => _ = counts.item_histogram.insert(row.count(2)?, row.count(4)?),
            "type" => {
                let event_type = row.text(2).unwrap_or_default().to_string();
                counts.per_event_type.insert(event_type, row.count(4)?);
            }
            "time" => {
                counts.min_timestamp = row.signed(2)?;
                counts.max_timestamp = row.signed(3)?;
            }
            "day" => {
                let day = row.signed(2)?.ok_or_else(|| row.bad("no day"))?;
                let event_type = row.text(3).map(str::to_string);
                *counts
                    .per_day
                    .entry(day)
                    .or_default()
                    .entry(event_type)
                    .or_default() += row.count(4)?;
            }
            _ => return Err(row.bad("unknown statistic")),
        }
        Ok(())
    }

    pub fn finish(mut self, import_from: &dyn Fn(&str, usize) -> String) -> Aggregates {
        let manifest = self.manifest;
        if let Some(i) = self.interactions {
            self.counts.interactions = self.aggregates.rows[i];
            self.aggregates.interactions = Some(self.counts.summary(&manifest.datasets[i].name));
        }
        for (spec, sizes) in manifest.datasets.iter().zip(&self.csv_sizes) {
            if sizes.is_empty() {
                continue;
            }
            let largest = sizes.iter().copied().max().unwrap_or(0);
            self.aggregates.import_fit.push(ImportFit::new(
                &spec.name,
                sizes.iter().sum(),
                sizes.len() as u64,
                largest,
                import_from(&spec.name, sizes.len()),
            ));
        }
        self.aggregates
    }
}

fn categorical_name(spec: &DatasetSpec, slot: usize) -> Option<&str> {
    (spec.columns.iter())
        .filter(|c| c.categorical && c.data_type == DataType::Utf8)
        .nth(slot)
        .map(|c| c.name.as_str())
}
