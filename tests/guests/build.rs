//! Builds the guest plugins once for wasm32-wasip2 and exports their paths as compile-time
//! environment variables (`GUEST_<NAME>`), so tests never run cargo themselves and never
//! hard-code a target folder. Cargo reruns this only when a guest's sources or the contract
//! change.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Package name and the `.wasm` file it builds.
const GUESTS: &[(&str, &str)] = &[
    ("ecommerce", "ecommerce"),
    ("media", "media"),
    ("misbehave", "misbehave"),
    ("future-contract", "future_contract"),
    ("hostile", "hostile"),
    ("contract-v0-2", "contract_v0_2"),
    ("mismatched-contract", "mismatched_contract"),
];

fn main() {
    // Read when the script runs, not baked in when it compiled: a target folder shared by two
    // checkouts reuses the compiled script for both.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it");
    let root = Path::new(&manifest_dir)
        .ancestors()
        .nth(2)
        .expect("tests/guests is inside the workspace")
        .to_path_buf();
    for watched in [
        "plugins/sdk",
        "plugins/ecommerce",
        "plugins/media",
        "tests/plugins",
        "wit",
        "Cargo.lock",
    ] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo::rerun-if-env-changed=CARGO_TARGET_DIR");
    // Its own target folder: the outer cargo holds the lock on the main one.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("guest-plugins");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .env("CARGO_TARGET_DIR", &target);
    for (package, _) in GUESTS {
        build.args(["-p", package]);
    }
    // The outer build's settings (flags, clippy as the compiler) must not leak into the guests.
    for variable in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_MAKEFLAGS",
    ] {
        build.env_remove(variable);
    }
    let status = build.status().expect("cargo runs");
    assert!(
        status.success(),
        "building the guest plugins failed (is the wasm32-wasip2 target installed? \
         `rustup target add wasm32-wasip2`)"
    );
    for (package, file) in GUESTS {
        let wasm = target.join(format!("wasm32-wasip2/release/{file}.wasm"));
        let name = package.replace('-', "_").to_ascii_uppercase();
        println!("cargo::rustc-env=GUEST_{name}={}", wasm.display());
    }
}
