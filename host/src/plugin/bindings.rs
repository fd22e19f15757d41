//! Host bindings generated from each contract version the host speaks: `wit/plugin.wit`
//! (0.1) and `wit/0.2/plugin.wit`.

/// Contract 0.1: column buffers as typed lists.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        world: "domain-plugin",
        path: "../wit",
        // The input batch is passed as slices borrowed from the Arrow arrays: lowering copies
        // them into the plugin's memory once, with no owned copy in between.
        ownership: Borrowing { duplicate_if_necessary: true },
    });

    pub use self::rechost::plugin::types;
}

/// Contract 0.2: column buffers as bytes. Its manifest types equal 0.1's field for field, so
/// they map onto the same Rust types and one conversion serves both versions.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        world: "domain-plugin",
        path: "../wit/0.2",
        ownership: Borrowing { duplicate_if_necessary: true },
        // A kernel given malformed buffers traps the plugin's call with a message.
        imports: { default: trappable },
        with: { "rechost:plugin/types@0.2.0": super::v0_1::types },
    });

    pub use self::rechost::plugin::{columns, kernels};
}

/// The interface every contract version exports (`package rechost:plugin@...`); the versions
/// themselves are [`super::versions::ContractVersion`].
pub const CONTRACT_INTERFACE: &str = "rechost:plugin/plugin";
