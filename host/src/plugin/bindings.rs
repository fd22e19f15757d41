//! Host bindings generated from `wit/plugin.wit`.

wasmtime::component::bindgen!({
    world: "domain-plugin",
    path: "../wit",
});

pub use self::rechost::plugin::types;

/// The contract this host implements (`package rechost:plugin@...` in `wit/plugin.wit`).
pub const CONTRACT_INTERFACE: &str = "rechost:plugin/plugin";
pub const CONTRACT_VERSION: &str = "0.1.0";
