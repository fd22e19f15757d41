//! The plugin contract: does a component implement a version of `wit/plugin.wit` this host
//! speaks, and its manifest converted from the contract's types into [`Manifest`] and checked.

use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::Component;

use super::PluginError;
use super::bindings::CONTRACT_INTERFACE;
use super::bindings::v0_1::types as wit;
use super::versions::ContractVersion;
use crate::manifest::{
    ColumnRole, ColumnSpec, DataType, DatasetKind, DatasetSpec, Manifest, ManifestError,
    OptionSpec, RecommenderSpec, Reduction, SourceSpec,
};

/// Finds the plugin interface among the component's exports and checks its version, so an
/// incompatible plugin gets a clear message instead of a link error. Every patch release of a
/// supported minor is accepted.
pub fn check(
    engine: &Engine,
    component: &Component,
    path: &Path,
) -> Result<ContractVersion, PluginError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let Some(found) = exports
        .iter()
        .find(|name| name.split('@').next() == Some(CONTRACT_INTERFACE))
    else {
        return Err(PluginError::NotAPlugin {
            path: path.into(),
            exports: if exports.is_empty() {
                "none".into()
            } else {
                exports.join(", ")
            },
        });
    };
    let version = found.split_once('@').map(|(_, v)| v).unwrap_or("");
    let major_minor = version.rsplit_once('.').map(|(major_minor, _)| major_minor);
    (ContractVersion::ALL.into_iter())
        .find(|known| Some(known.major_minor()) == major_minor)
        .ok_or_else(|| PluginError::IncompatibleContract {
            path: path.into(),
            found: found.clone(),
            supported: (ContractVersion::ALL.iter())
                .map(|v| format!("{CONTRACT_INTERFACE}@{}.x", v.major_minor()))
                .collect::<Vec<_>>()
                .join(" and "),
        })
}

/// Interface families the host links (the context behind WASI grants nothing: no files, no
/// network, no environment).
const LINKED: &[&str] = &[
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
    // Pure column operations on the plugin's own buffers.
    "rechost:plugin/kernels@0.2.",
];

/// The component's imports the host does not link, with a hint for the usual cause.
pub fn ungranted_imports(engine: &Engine, component: &Component) -> Option<(String, &'static str)> {
    let ty = component.component_type();
    let missing: Vec<String> = (ty.imports(engine))
        .map(|(name, _)| name.to_string())
        .filter(|name| !LINKED.iter().any(|family| name.starts_with(family)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let hint = if missing.iter().any(|name| name.starts_with("wasi:http/")) {
        "a JavaScript plugin built with jco needs `--disable all` (`-d all`) so it does not \
         import wasi:http; other toolchains: do not use an HTTP client in a plugin"
    } else {
        "build the plugin against wit/plugin.wit only (plugins may not reach the network, files \
         or other components)"
    };
    Some((missing.join(", "), hint))
}

fn column(c: wit::ColumnSpec) -> ColumnSpec {
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

fn dataset(d: wit::DatasetSpec) -> DatasetSpec {
    DatasetSpec {
        name: d.name,
        kind: match d.kind {
            wit::DatasetKind::Interactions => DatasetKind::Interactions,
            wit::DatasetKind::Users => DatasetKind::Users,
            wit::DatasetKind::Items => DatasetKind::Items,
            wit::DatasetKind::Other => DatasetKind::Other,
        },
        columns: d.columns.into_iter().map(column).collect(),
        reduction: match d.reduction {
            wit::Reduction::Events => Reduction::Events,
            wit::Reduction::Entity(e) => Reduction::Entity {
                key: e.key,
                latest_by: e.latest_by.into_iter().map(column).collect(),
                key_index: 0, // set by `Manifest::check`
            },
        },
    }
}

/// The manifest a plugin described, converted and checked.
pub fn manifest(m: wit::Manifest) -> Result<Manifest, ManifestError> {
    Manifest {
        name: m.name,
        version: m.version,
        description: m.description,
        domain: m.domain,
        source: SourceSpec {
            table: m.source.table,
            columns: m.source.columns.into_iter().map(column).collect(),
            time_column: m.source.time_column,
            time_index: 0, // set by `Manifest::check`
        },
        datasets: m.datasets.into_iter().map(dataset).collect(),
        recommenders: (m.recommenders.into_iter())
            .map(|r| RecommenderSpec {
                name: r.name,
                min_interactions: r.min_interactions,
                event_type: r.event_type,
                needs_items: r.needs_items,
            })
            .collect(),
        options: (m.options.into_iter())
            .map(|o| OptionSpec {
                name: o.name,
                description: o.description,
                default_value: o.default_value,
            })
            .collect(),
    }
    .check()
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

    fn wit_manifest(domain: &str, dataset: &str, time_column: &str) -> wit::Manifest {
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
        let m = manifest(wit_manifest("ECOMMERCE", "events", "ts")).unwrap();
        assert_eq!(m.source.time_index, 0);
    }

    #[test]
    fn names_that_could_escape_the_output_folder_are_rejected() {
        for domain in ["../x", "a/b", ""] {
            assert!(matches!(
                manifest(wit_manifest(domain, "events", "TS")),
                Err(ManifestError::BadDomain { .. })
            ));
        }
        for dataset in ["..", "a/b", "readiness-ecommerce.json", ""] {
            assert!(matches!(
                manifest(wit_manifest("D", dataset, "TS")),
                Err(ManifestError::BadDatasetName { .. })
            ));
        }
    }

    #[test]
    fn options_resolve_over_defaults_and_unknown_ones_are_named() {
        let m = manifest(wit_manifest("D", "events", "TS")).unwrap();
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
