//! rechost: turn warehouse event data into recommendation training sets.
//!
//! The host is generic; every domain rule comes from a WebAssembly plugin's manifest and
//! transform (`wit/plugin.wit`). Data flows one way:
//! [`source`] -> [`window`] -> [`plugin`] (through the [`transform`] seam) -> [`reduce`] ->
//! [`sink`], driven by [`run`], with [`readiness`] computed from the rows written.
//! [`warehouse`] provides warehouse sources and the SQL that runs plugins inside warehouses.

pub mod conformance;
pub mod diff;
pub mod manifest;
pub mod plugin;
pub mod project;
pub mod readiness;
pub mod reduce;
pub mod run;
pub mod sample;
pub mod scratch;
pub mod sink;
pub mod source;
pub mod terminal;
pub mod transform;
pub mod validate;
pub mod warehouse;
pub mod window;
