//! Host bindings generated from `wit/plugin.wit`.

wasmtime::component::bindgen!({
    world: "domain-plugin",
    path: "../wit",
});

pub use exports::rechost::plugin::plugin::Guest as PluginExports;
pub use rechost::plugin::types;

/// The contract version this host implements (`package rechost:plugin@...`).
pub const CONTRACT_PACKAGE: &str = "rechost:plugin";
pub const CONTRACT_INTERFACE: &str = "rechost:plugin/plugin";
pub const CONTRACT_VERSION: &str = "0.1.0";
