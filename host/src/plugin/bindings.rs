//! Host bindings generated from `wit/plugin.wit`.

wasmtime::component::bindgen!({
    world: "domain-plugin",
    path: "../wit",
    // The input batch is passed as slices borrowed from the Arrow arrays: lowering copies
    // them into the plugin's memory once, with no owned copy in between.
    ownership: Borrowing { duplicate_if_necessary: true },
});

pub use self::rechost::plugin::types;

/// The contract this host implements (`package rechost:plugin@...` in `wit/plugin.wit`).
pub const CONTRACT_INTERFACE: &str = "rechost:plugin/plugin";
pub const CONTRACT_VERSION: &str = "0.1.0";
