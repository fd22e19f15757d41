//! rechost: turn warehouse event data into recommendation training sets.
//!
//! The host is generic; every domain rule comes from a WebAssembly plugin's manifest and
//! transform (`wit/plugin.wit`). Data flows one way:
//! [`source`] -> [`window`] -> [`plugin`] -> [`reduce`] -> [`sink`], driven by [`pipeline`],
//! with [`readiness`] computed from the rows written.

pub mod byte_map;
pub mod diff;
pub mod manifest;
pub mod pipeline;
pub mod plugin;
pub mod readiness;
pub mod reduce;
pub mod sample;
pub mod sink;
pub mod snowflake;
pub mod source;
pub mod sql;
pub mod transform;
pub mod validate;
pub mod warehouse;
pub mod window;
pub mod workers;
