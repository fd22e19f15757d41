//! rechost's integration tests: the real binary, real plugins built for wasm32-wasip2, real
//! files. One test binary (all modules) so the guest plugins are built once.

#[path = "../support/guests.rs"]
mod guests;

#[cfg(feature = "databricks")]
#[path = "../support/databricks.rs"]
mod databricks_server;
#[path = "../support/fakesnow.rs"]
mod fakesnow;
#[path = "../support/moto.rs"]
mod moto;
#[path = "../support/proxy.rs"]
mod proxy;

mod harness;

mod cache;
mod cli;
mod contracts;
#[cfg(feature = "databricks")]
mod databricks;
#[cfg(feature = "databricks")]
mod databricks_cli;
mod ecommerce_fixture;
mod ecommerce_rules;
mod hostile;
mod input_errors;
mod input_files;
mod limits;
mod media;
mod output_integrity;
mod plugin_checks;
mod project;
mod project_warehouse;
mod readiness;
mod row_groups;
mod s3;
mod sample_runs;
mod sample_shape;
mod sandbox;
mod snowflake;
mod spill;
mod validate_diff;
mod warehouse;
mod warehouse_readiness;
