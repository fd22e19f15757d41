//! Paths of the guest plugins built by `build.rs` for the tests and benches.

/// The first-party ecommerce plugin.
pub const ECOMMERCE: &str = env!("GUEST_ECOMMERCE");
/// The first-party media plugin.
pub const MEDIA: &str = env!("GUEST_MEDIA");
/// A plugin that traps, loops, allocates without bound or returns malformed buffers on request.
pub const MISBEHAVE: &str = env!("GUEST_MISBEHAVE");
/// A plugin on contract 0.2 (byte buffers), with the bare bindings.
pub const CONTRACT_V0_2: &str = env!("GUEST_CONTRACT_V0_2");
/// A plugin exporting contract 0.2 with functions of other types.
pub const MISMATCHED_CONTRACT: &str = env!("GUEST_MISMATCHED_CONTRACT");
/// A plugin built against a future contract version.
pub const FUTURE_CONTRACT: &str = env!("GUEST_FUTURE_CONTRACT");
/// A plugin whose manifest strings are placeholders that tests replace with hostile text.
pub const HOSTILE: &str = env!("GUEST_HOSTILE");
