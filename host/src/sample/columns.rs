//! Column builders that write either Parquet types or the Snowplow CSV export's text forms.

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::DateTime;
use std::sync::Arc;

/// Column builders that write either Parquet types or the Snowplow CSV export's text forms.
enum Col {
    Text(StringBuilder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Time(TimestampMicrosecondBuilder),
}

pub(super) struct Columns {
    names: Vec<&'static str>,
    cols: Vec<Col>,
}

impl Columns {
    pub(super) fn new(csv: bool, spec: &[(&'static str, DataType)]) -> Self {
        let cols = spec
            .iter()
            .map(|(_, t)| match (csv, t) {
                (true, _) | (false, DataType::Utf8) => Col::Text(StringBuilder::new()),
                (false, DataType::Float64) => Col::Float(Float64Builder::new()),
                (false, DataType::Boolean) => Col::Bool(BooleanBuilder::new()),
                (false, _) => Col::Time(TimestampMicrosecondBuilder::new()),
            })
            .collect();
        Self {
            names: spec.iter().map(|(n, _)| *n).collect(),
            cols,
        }
    }

    pub(super) fn text(&mut self, i: usize, v: Option<&str>) {
        if let Col::Text(b) = &mut self.cols[i] {
            b.append_option(v)
        }
    }

    pub(super) fn float(&mut self, i: usize, v: Option<f64>) {
        match &mut self.cols[i] {
            Col::Float(b) => b.append_option(v),
            Col::Text(b) => b.append_option(v.map(|v| format!("{v}"))),
            _ => {}
        }
    }

    pub(super) fn boolean(&mut self, i: usize, v: Option<bool>) {
        match &mut self.cols[i] {
            Col::Bool(b) => b.append_option(v),
            Col::Text(b) => b.append_option(v.map(|v| if v { "TRUE" } else { "FALSE" })),
            _ => {}
        }
    }

    pub(super) fn time(&mut self, i: usize, micros: i64) {
        match &mut self.cols[i] {
            Col::Time(b) => b.append_value(micros),
            Col::Text(b) => {
                let t = DateTime::from_timestamp_micros(micros).expect("in range");
                b.append_value(t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
            }
            _ => {}
        }
    }

    pub(super) fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .names
            .iter()
            .zip(&self.cols)
            .map(|(name, col)| {
                let t = match col {
                    Col::Text(_) => DataType::Utf8,
                    Col::Float(_) => DataType::Float64,
                    Col::Bool(_) => DataType::Boolean,
                    Col::Time(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
                };
                Field::new(*name, t, true)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    pub(super) fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Col::Text(b) => Arc::new(b.finish()),
                    Col::Float(b) => Arc::new(b.finish()),
                    Col::Bool(b) => Arc::new(b.finish()),
                    Col::Time(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        RecordBatch::try_new(self.schema(), arrays).expect("builders follow the schema")
    }
}
