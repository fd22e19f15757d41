//! Exports `rechost:plugin/plugin@0.2.0`, a version the host supports, but not as
//! `wit/0.2/plugin.wit` defines it (no `transform`, `describe` returns text): what a plugin
//! built against an edited or stale copy of the WIT looks like. WebAssembly only.
#![cfg(target_family = "wasm")]

wit_bindgen::generate!({
    inline: "
        package rechost:plugin@0.2.0;
        interface plugin {
            describe: func() -> string;
        }
        world stale-contract {
            export plugin;
        }
    ",
});

struct Mismatched;

impl exports::rechost::plugin::plugin::Guest for Mismatched {
    fn describe() -> String {
        "from a stale copy of the contract".into()
    }
}

export!(Mismatched);
