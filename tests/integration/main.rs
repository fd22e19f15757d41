//! rechost's integration tests: the real binary, real plugins built for wasm32-wasip2, real
//! files. One test binary (all modules) so the guest plugins are built once.

#[path = "../support/guests.rs"]
mod guests;

#[path = "../support/fakesnow.rs"]
mod fakesnow;
#[path = "../support/moto.rs"]
mod moto;
#[path = "../support/proxy.rs"]
mod proxy;

mod harness;

mod cli;
mod ecommerce_fixture;
mod ecommerce_rules;
mod input_errors;
mod media;
mod readiness;
mod s3;
mod sample_runs;
mod sandbox;
mod snowflake;
mod validate_diff;
mod warehouse;
