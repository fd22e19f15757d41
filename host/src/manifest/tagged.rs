//! Every dataset of one transform in a single table: the shape of a plugin's "all datasets"
//! warehouse function. A warehouse materialises it once and splits it by the tag, so the
//! plugin runs once per source row instead of once per dataset.
//!
//! Columns: [`TAG_COLUMN`] (the dataset's 1-based position in the manifest), then the union
//! of every dataset's returned columns (written, then `latest-by`), all nullable. Datasets
//! share a column when it has the same name and type; any other clash (same name in another
//! type or case, since Spark matches names case-insensitively) gets a fresh `NAME_2`, ... .

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, new_null_array};
use arrow_schema::{ArrowError, Field, Schema, SchemaRef};
use arrow_select::concat::concat_batches;

use super::{ColumnSpec, Manifest};

/// The tag column: which dataset a row belongs to (1 = the manifest's first dataset).
pub const TAG_COLUMN: &str = "RECHOST_DATASET";

#[derive(Debug, Clone)]
pub struct TaggedLayout {
    /// The union columns after the tag, each nullable.
    pub columns: Vec<ColumnSpec>,
    /// Per dataset (manifest order), per returned column: its position in `columns`.
    pub positions: Vec<Vec<usize>>,
}

impl TaggedLayout {
    pub fn of(manifest: &Manifest) -> Self {
        let mut columns: Vec<ColumnSpec> = Vec::new();
        let mut positions = Vec::with_capacity(manifest.datasets.len());
        for dataset in &manifest.datasets {
            let mut mine: Vec<usize> = Vec::new();
            for column in dataset.returned_columns() {
                let shared = columns
                    .iter()
                    .position(|c| c.name == column.name && c.data_type == column.data_type);
                let position = match shared {
                    Some(position) if !mine.contains(&position) => position,
                    _ => {
                        let name = fresh_name(&columns, &column.name);
                        columns.push(ColumnSpec {
                            name,
                            nullable: true,
                            role: None,
                            ..column.clone()
                        });
                        columns.len() - 1
                    }
                };
                mine.push(position);
            }
            positions.push(mine);
        }
        Self { columns, positions }
    }

    /// The tag (non-null int64) and the union columns.
    pub fn schema(&self) -> SchemaRef {
        let tag = Field::new(TAG_COLUMN, arrow_schema::DataType::Int64, false);
        let fields = std::iter::once(tag).chain(self.columns.iter().map(ColumnSpec::arrow_field));
        Arc::new(Schema::new(fields.collect::<Vec<_>>()))
    }

    /// One transform's outputs (one batch per dataset, in manifest order, each in the
    /// dataset's returned schema) as batches of the tagged schema, one per dataset that has
    /// rows: its own columns as they are (no copy), NULL in the columns it lacks. For callers
    /// that take several batches (Spark's `mapInArrow`).
    pub fn tag_each(&self, datasets: &[RecordBatch]) -> Result<Vec<RecordBatch>, ArrowError> {
        let schema = self.schema();
        let with_rows = (datasets.iter().zip(&self.positions).enumerate())
            .filter(|(_, (batch, _))| batch.num_rows() > 0);
        with_rows
            .map(|(index, (batch, mine))| {
                let rows = batch.num_rows();
                let tag: ArrayRef = Arc::new(Int64Array::from_value(index as i64 + 1, rows));
                let columns =
                    self.columns.iter().enumerate().map(|(position, column)| {
                        match mine.iter().position(|&p| p == position) {
                            Some(own) => batch.column(own).clone(),
                            None => new_null_array(&column.data_type.arrow(), rows),
                        }
                    });
                RecordBatch::try_new(
                    schema.clone(),
                    std::iter::once(tag).chain(columns).collect(),
                )
            })
            .collect()
    }

    /// [`TaggedLayout::tag_each`]'s batches as one: each dataset's rows in turn.
    pub fn tag(&self, datasets: &[RecordBatch]) -> Result<RecordBatch, ArrowError> {
        concat_batches(&self.schema(), &self.tag_each(datasets)?)
    }
}

/// `name` itself when no union column has it (case-insensitively, nor the tag), else the
/// first free `name_2`, `name_3`, ... .
fn fresh_name(columns: &[ColumnSpec], name: &str) -> String {
    let taken = |candidate: &str| {
        candidate.eq_ignore_ascii_case(TAG_COLUMN)
            || columns
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(candidate))
    };
    if !taken(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name}_{n}"))
        .find(|candidate| !taken(candidate))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests;
