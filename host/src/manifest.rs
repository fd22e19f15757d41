//! The plugin manifest as the host uses it: checked once after loading, so the rest of the
//! host never sees an inconsistent manifest (unknown key column, duplicate names, ...).

use serde::Serialize;
use std::collections::BTreeMap;

use crate::plugin::bindings::types as wit;

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
    #[error("{what} `{name}` is declared twice")]
    Duplicate { what: &'static str, name: String },
    #[error("{what} has an empty name")]
    EmptyName { what: &'static str },
    #[error(
        "dataset name `{name}` must be a plain folder name (letters, digits, `_`, `-`, `.`) \
         not starting with `readiness-`"
    )]
    BadDatasetName { name: String },
    #[error("domain `{domain}` must be letters, digits, `_` or `-` (it names the report file)")]
    BadDomain { domain: String },
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

fn check_names<'a>(
    what: &'static str,
    names: impl IntoIterator<Item = &'a str>,
    case_insensitive: bool,
) -> Result<(), ManifestError> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if name.is_empty() {
            return Err(ManifestError::EmptyName { what });
        }
        let folded = if case_insensitive {
            name.to_ascii_lowercase()
        } else {
            name.to_string()
        };
        if !seen.insert(folded) {
            return Err(ManifestError::Duplicate {
                what,
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

fn convert_column(c: wit::ColumnSpec) -> ColumnSpec {
    ColumnSpec {
        name: c.name,
        data_type: match c.data_type {
            wit::DataType::Utf8 => DataType::Utf8,
            wit::DataType::Int64 => DataType::Int64,
            wit::DataType::Float64 => DataType::Float64,
            wit::DataType::Boolean => DataType::Boolean,
            wit::DataType::Timestamp => DataType::Timestamp,
        },
        nullable: c.nullable,
        categorical: c.categorical,
        role: c.role.map(|r| match r {
            wit::ColumnRole::UserId => ColumnRole::UserId,
            wit::ColumnRole::ItemId => ColumnRole::ItemId,
            wit::ColumnRole::EventType => ColumnRole::EventType,
            wit::ColumnRole::EventTime => ColumnRole::EventTime,
        }),
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Manifest {
    /// Converts and checks the manifest a plugin returned.
    pub fn from_wit(m: wit::Manifest) -> Result<Self, ManifestError> {
        let source_columns: Vec<ColumnSpec> =
            m.source.columns.into_iter().map(convert_column).collect();
        check_names(
            "source column",
            source_columns.iter().map(|c| c.name.as_str()),
            true,
        )?;
        let time_index = source_columns
            .iter()
            .position(|c| {
                c.name.eq_ignore_ascii_case(&m.source.time_column)
                    && c.data_type == DataType::Timestamp
            })
            .ok_or_else(|| ManifestError::BadTimeColumn {
                name: m.source.time_column.clone(),
            })?;

        let mut datasets = Vec::new();
        let domain_ok = !m.domain.is_empty()
            && m.domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !domain_ok {
            return Err(ManifestError::BadDomain { domain: m.domain });
        }
        for d in m.datasets {
            // Folders beside the readiness report: never a path, never the report's name.
            if !is_plain_name(&d.name) || d.name.starts_with("readiness-") {
                return Err(ManifestError::BadDatasetName { name: d.name });
            }
            let columns: Vec<ColumnSpec> = d.columns.into_iter().map(convert_column).collect();
            let reduction = match d.reduction {
                wit::Reduction::Events => Reduction::Events,
                wit::Reduction::Entity(e) => {
                    let key_index = columns
                        .iter()
                        .position(|c| c.name == e.key && !c.nullable)
                        .ok_or_else(|| ManifestError::BadKey {
                            dataset: d.name.clone(),
                            key: e.key.clone(),
                        })?;
                    Reduction::Entity {
                        key: e.key,
                        latest_by: e.latest_by.into_iter().map(convert_column).collect(),
                        key_index,
                    }
                }
            };
            let dataset = DatasetSpec {
                name: d.name,
                kind: match d.kind {
                    wit::DatasetKind::Interactions => DatasetKind::Interactions,
                    wit::DatasetKind::Users => DatasetKind::Users,
                    wit::DatasetKind::Items => DatasetKind::Items,
                    wit::DatasetKind::Other => DatasetKind::Other,
                },
                columns,
                reduction,
            };
            check_names(
                "dataset column",
                dataset.returned_columns().map(|c| c.name.as_str()),
                false,
            )?;
            datasets.push(dataset);
        }
        if datasets.is_empty() {
            return Err(ManifestError::NoDatasets);
        }
        // Dataset names become folders: compare case-insensitively for case-insensitive file systems.
        check_names("dataset", datasets.iter().map(|d| d.name.as_str()), true)?;
        let options: Vec<OptionSpec> = m
            .options
            .into_iter()
            .map(|o| OptionSpec {
                name: o.name,
                description: o.description,
                default_value: o.default_value,
            })
            .collect();
        check_names("option", options.iter().map(|o| o.name.as_str()), false)?;

        Ok(Manifest {
            name: m.name,
            version: m.version,
            description: m.description,
            domain: m.domain,
            source: SourceSpec {
                table: m.source.table,
                columns: source_columns,
                time_column: m.source.time_column,
                time_index,
            },
            datasets,
            recommenders: m
                .recommenders
                .into_iter()
                .map(|r| RecommenderSpec {
                    name: r.name,
                    min_interactions: r.min_interactions,
                    event_type: r.event_type,
                    needs_items: r.needs_items,
                })
                .collect(),
            options,
        })
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn wit_column(name: &str, data_type: wit::DataType) -> wit::ColumnSpec {
        wit::ColumnSpec {
            name: name.into(),
            data_type,
            nullable: true,
            categorical: false,
            role: None,
        }
    }

    fn manifest(domain: &str, dataset: &str, time_column: &str) -> wit::Manifest {
        wit::Manifest {
            name: "p".into(),
            version: "1".into(),
            description: String::new(),
            domain: domain.into(),
            source: wit::SourceSpec {
                table: "t".into(),
                columns: vec![wit_column("TS", wit::DataType::Timestamp)],
                time_column: time_column.into(),
            },
            datasets: vec![wit::DatasetSpec {
                name: dataset.into(),
                kind: wit::DatasetKind::Other,
                columns: vec![wit_column("A", wit::DataType::Utf8)],
                reduction: wit::Reduction::Events,
            }],
            recommenders: vec![],
            options: vec![wit::OptionSpec {
                name: "sep".into(),
                description: String::new(),
                default_value: "/".into(),
            }],
        }
    }

    #[test]
    fn a_valid_manifest_converts_and_time_column_matches_case_insensitively() {
        let m = Manifest::from_wit(manifest("ECOMMERCE", "events", "ts")).unwrap();
        assert_eq!(m.source.time_index, 0);
    }

    #[test]
    fn names_that_could_escape_the_output_folder_are_rejected() {
        for domain in ["../x", "a/b", ""] {
            assert!(matches!(
                Manifest::from_wit(manifest(domain, "events", "TS")),
                Err(ManifestError::BadDomain { .. })
            ));
        }
        for dataset in ["..", "a/b", "readiness-ecommerce.json", ""] {
            assert!(matches!(
                Manifest::from_wit(manifest("D", dataset, "TS")),
                Err(ManifestError::BadDatasetName { .. })
            ));
        }
    }

    #[test]
    fn options_resolve_over_defaults_and_unknown_ones_are_named() {
        let m = Manifest::from_wit(manifest("D", "events", "TS")).unwrap();
        assert_eq!(
            m.resolve_options(&[]).unwrap(),
            vec![("sep".into(), "/".into())]
        );
        assert_eq!(
            m.resolve_options(&["sep=|".into()]).unwrap(),
            vec![("sep".into(), "|".into())]
        );
        let err = m.resolve_options(&["colour=red".into()]).unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown option `colour`; the plugin accepts: sep")
        );
        assert!(m.resolve_options(&["sep".into()]).is_err());
    }
}
