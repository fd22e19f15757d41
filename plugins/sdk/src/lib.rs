//! Guest-side helpers for rechost domain plugins.
//!
//! A plugin implements [`Plugin`] — a manifest and a columnar transform — and calls
//! [`export_plugin!`]. Input columns are read with typed, zero-copy readers ([`Input`]); output
//! columns are built with builders that produce Arrow's physical layout ([`Utf8Builder`], ...),
//! which is what crosses the component boundary.
//!
//! The same code also compiles natively (the transform is a plain function), which is how the
//! host's benchmarks measure the cost of the WebAssembly boundary.

mod builders;
mod readers;

pub mod bindings {
    wit_bindgen::generate!({
        world: "domain-plugin",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_plugin_bindings",
        default_bindings_module: "rechost_plugin_sdk::bindings",
    });
}

pub use bindings::exports::rechost::plugin::plugin::Guest;
pub use bindings::rechost::plugin::types::{
    Batch, Column, ColumnRole, ColumnSpec, DataType, DatasetKind, DatasetSpec, DroppedRows,
    EntityReduction, Manifest, OptionSpec, RecommenderSpec, Reduction, SourceSpec, TransformOutput,
    Utf8Values, Values,
};
pub use builders::{BoolBuilder, Float64Builder, Int64Builder, TimestampBuilder, Utf8Builder};
pub use readers::{BoolColumn, Input, PrimitiveColumn, Utf8Column};

/// A domain plugin: what it is, and how it turns source rows into dataset rows.
pub trait Plugin {
    fn manifest() -> Manifest;
    fn transform(options: &Options, input: &Input<'_>) -> Result<TransformOutput, String>;
}

/// Exports a [`Plugin`] implementation as the component's `rechost:plugin/plugin` interface.
///
/// Only on WebAssembly: natively the plugin is a plain library (benchmarks call its
/// transform directly), and component export names are not valid native symbols.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            struct RechostExport;
            impl $crate::Guest for RechostExport {
                fn describe() -> $crate::Manifest {
                    <$plugin as $crate::Plugin>::manifest()
                }
                fn transform(
                    options: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                    input: $crate::Batch,
                ) -> ::std::result::Result<$crate::TransformOutput, ::std::string::String> {
                    let options = $crate::Options::new(options);
                    // SAFETY: the host sends only valid UTF-8 text, cut at character
                    // boundaries (the contract's `utf8-values`).
                    let input = unsafe { $crate::Input::from_host(&input) };
                    <$plugin as $crate::Plugin>::transform(&options, &input)
                }
            }
    $crate::bindings::export_plugin_bindings!(RechostExport with_types_in $crate::bindings);
        };
    };
}

/// The option values the host passes (every manifest option, defaults filled in).
#[derive(Debug, Clone, Default)]
pub struct Options(Vec<(String, String)>);

impl Options {
    pub fn new(values: Vec<(String, String)>) -> Self {
        Self(values)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A column spec with no role, not categorical.
pub fn column(name: &str, data_type: DataType, nullable: bool) -> ColumnSpec {
    ColumnSpec {
        name: name.to_string(),
        data_type,
        nullable,
        categorical: false,
        role: None,
    }
}

/// Builder-style flags on a column spec: `column("ITEM_ID", Utf8, false).role(ItemId)`.
pub trait ColumnSpecExt {
    fn role(self, role: ColumnRole) -> Self;
    fn categorical(self) -> Self;
}

impl ColumnSpecExt for ColumnSpec {
    fn role(self, role: ColumnRole) -> Self {
        ColumnSpec {
            role: Some(role),
            ..self
        }
    }

    fn categorical(self) -> Self {
        ColumnSpec {
            categorical: true,
            ..self
        }
    }
}

/// A recommender needing `min_interactions` interactions (of `event_type`, or of any type).
pub fn recommender(
    name: &str,
    min_interactions: u64,
    event_type: Option<&str>,
    needs_items: bool,
) -> RecommenderSpec {
    RecommenderSpec {
        name: name.to_string(),
        min_interactions,
        event_type: event_type.map(str::to_string),
        needs_items,
    }
}

/// Counts rows dropped by reason, keeping the order reasons were first seen.
#[derive(Debug, Default)]
pub struct DropCounter(Vec<DroppedRows>);

impl DropCounter {
    pub fn add(&mut self, reason: &str) {
        match self.0.iter_mut().find(|d| d.reason == reason) {
            Some(d) => d.rows += 1,
            None => self.0.push(DroppedRows {
                reason: reason.to_string(),
                rows: 1,
            }),
        }
    }

    pub fn finish(self) -> Vec<DroppedRows> {
        self.0
    }
}

/// Builds a batch from finished columns; all must have `rows` rows.
pub fn batch(rows: usize, columns: Vec<Column>) -> Batch {
    Batch {
        rows: rows as u32,
        columns,
    }
}
