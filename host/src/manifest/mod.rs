//! The plugin manifest as the host uses it: plain data, checked once after loading
//! ([`Manifest::check`]), so the rest of the host never sees an inconsistent manifest (unknown
//! key column, duplicate names, ...). Converting from the plugin contract is `plugin::contract`.

mod check;
pub mod tagged;

use serde::Serialize;
use std::collections::BTreeMap;

/// Logical column types (see `wit/plugin.wit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Utf8,
    Int64,
    Float64,
    Boolean,
    Timestamp,
}

impl DataType {
    pub fn arrow(self) -> arrow_schema::DataType {
        use arrow_schema::{DataType as A, TimeUnit};
        match self {
            DataType::Utf8 => A::Utf8,
            DataType::Int64 => A::Int64,
            DataType::Float64 => A::Float64,
            DataType::Boolean => A::Boolean,
            DataType::Timestamp => A::Timestamp(TimeUnit::Microsecond, None),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DataType::Utf8 => "utf8",
            DataType::Int64 => "int64",
            DataType::Float64 => "float64",
            DataType::Boolean => "boolean",
            DataType::Timestamp => "timestamp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColumnRole {
    UserId,
    ItemId,
    EventType,
    EventTime,
}

impl ColumnRole {
    pub fn name(self) -> &'static str {
        match self {
            ColumnRole::UserId => "user-id",
            ColumnRole::ItemId => "item-id",
            ColumnRole::EventType => "event-type",
            ColumnRole::EventTime => "event-time",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ColumnSpec {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
    pub categorical: bool,
    pub role: Option<ColumnRole>,
}

impl ColumnSpec {
    pub fn arrow_field(&self) -> arrow_schema::Field {
        arrow_schema::Field::new(&self.name, self.data_type.arrow(), self.nullable)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceSpec {
    pub table: String,
    pub columns: Vec<ColumnSpec>,
    pub time_column: String,
    /// Position of `time_column` in `columns`.
    #[serde(skip)]
    pub time_index: usize,
}

impl SourceSpec {
    pub fn arrow_schema(&self) -> arrow_schema::SchemaRef {
        schema_of(&self.columns)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    Interactions,
    Users,
    Items,
    Other,
}

impl DatasetKind {
    /// The Avro record name Personalize expects for this kind of dataset.
    pub fn avro_record_name(self) -> &'static str {
        match self {
            DatasetKind::Interactions => "Interactions",
            DatasetKind::Users => "Users",
            DatasetKind::Items => "Items",
            DatasetKind::Other => "Dataset",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Reduction {
    Events,
    Entity {
        key: String,
        latest_by: Vec<ColumnSpec>,
        /// Position of `key` in the dataset's columns.
        #[serde(skip)]
        key_index: usize,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetSpec {
    pub name: String,
    pub kind: DatasetKind,
    pub columns: Vec<ColumnSpec>,
    pub reduction: Reduction,
}

impl DatasetSpec {
    /// Columns the plugin returns for this dataset: the written ones, then `latest-by`.
    pub fn returned_columns(&self) -> impl Iterator<Item = &ColumnSpec> {
        let latest: &[ColumnSpec] = match &self.reduction {
            Reduction::Events => &[],
            Reduction::Entity { latest_by, .. } => latest_by,
        };
        self.columns.iter().chain(latest)
    }

    pub fn returned_schema(&self) -> arrow_schema::SchemaRef {
        let columns: Vec<ColumnSpec> = self.returned_columns().cloned().collect();
        schema_of(&columns)
    }

    pub fn written_schema(&self) -> arrow_schema::SchemaRef {
        schema_of(&self.columns)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RecommenderSpec {
    pub name: String,
    pub min_interactions: u64,
    pub event_type: Option<String>,
    pub needs_items: bool,
}

impl RecommenderSpec {
    /// The data requirement in words, e.g. ">= 1000 `View` interactions".
    pub fn requirement(&self) -> String {
        let of = (self.event_type.as_deref()).map_or("interactions".to_string(), |t| {
            format!("`{t}` interactions")
        });
        let items = if self.needs_items {
            " and an Items dataset"
        } else {
            ""
        };
        format!(">= {} {of}{items}", self.min_interactions)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionSpec {
    pub name: String,
    pub description: String,
    pub default_value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub description: String,
    pub domain: String,
    pub source: SourceSpec,
    pub datasets: Vec<DatasetSpec>,
    pub recommenders: Vec<RecommenderSpec>,
    pub options: Vec<OptionSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{what} {name:?} is declared twice")]
    Duplicate { what: &'static str, name: String },
    #[error("{what} has an empty name")]
    EmptyName { what: &'static str },
    #[error(
        "dataset name {name:?} must be a plain folder name (letters, digits, `_`, `-`, `.`, at \
         most 128) not starting with `readiness-`"
    )]
    BadDatasetName { name: String },
    #[error(
        "domain {domain:?} must be letters, digits, `_` or `-`, at most 64 (it names the report file)"
    )]
    BadDomain { domain: String },
    /// A name that becomes an identifier, a path or part of generated text.
    #[error("{field} {value:?} is not allowed: {rule}")]
    BadName {
        field: &'static str,
        value: String,
        rule: &'static str,
    },
    /// Free text (descriptions, recommender names): printed, never interpreted.
    #[error("{field} {value:?} is not allowed: no control characters, at most {max} characters")]
    BadText {
        field: &'static str,
        value: String,
        max: usize,
    },
    #[error("source time column `{name}` is not a timestamp column of the source")]
    BadTimeColumn { name: String },
    #[error("dataset `{dataset}`: key column `{key}` is not a non-nullable column of the dataset")]
    BadKey { dataset: String, key: String },
    #[error("the manifest declares no dataset")]
    NoDatasets,
    #[error("unknown option `{name}`; the plugin accepts: {known}")]
    UnknownOption { name: String, known: String },
    #[error("option `{given}` must look like NAME=VALUE")]
    MalformedOption { given: String },
}

fn schema_of(columns: &[ColumnSpec]) -> arrow_schema::SchemaRef {
    std::sync::Arc::new(arrow_schema::Schema::new(
        columns
            .iter()
            .map(ColumnSpec::arrow_field)
            .collect::<Vec<_>>(),
    ))
}

impl Manifest {
    /// Every option with its value: `given` (`NAME=VALUE` strings) over the defaults.
    pub fn resolve_options(
        &self,
        given: &[String],
    ) -> Result<Vec<(String, String)>, ManifestError> {
        let mut values: BTreeMap<&str, String> = self
            .options
            .iter()
            .map(|o| (o.name.as_str(), o.default_value.clone()))
            .collect();
        for item in given {
            let (name, value) =
                item.split_once('=')
                    .ok_or_else(|| ManifestError::MalformedOption {
                        given: item.clone(),
                    })?;
            match values.get_mut(name) {
                Some(slot) => *slot = value.to_string(),
                None => {
                    let known: Vec<&str> = self.options.iter().map(|o| o.name.as_str()).collect();
                    return Err(ManifestError::UnknownOption {
                        name: name.to_string(),
                        known: if known.is_empty() {
                            "(none)".into()
                        } else {
                            known.join(", ")
                        },
                    });
                }
            }
        }
        Ok(values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect())
    }
}
