//! Exports `rechost:plugin/plugin@0.3.0`, a contract version the host does not support, so
//! the host's version check is tested against a real component. WebAssembly only.
#![cfg(target_family = "wasm")]

wit_bindgen::generate!({
    inline: "
        package rechost:plugin@0.3.0;
        interface plugin {
            describe: func() -> string;
        }
        world next-contract {
            export plugin;
        }
    ",
});

struct Future;

impl exports::rechost::plugin::plugin::Guest for Future {
    fn describe() -> String {
        "from the future".into()
    }
}

export!(Future);
