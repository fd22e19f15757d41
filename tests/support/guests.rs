//! Builds the guest plugins (first-party and test-only) for wasm32-wasip2 once per process
//! and returns their paths. Shared by the integration tests and the benches.
//!
//! The build uses its own target folder so it never waits on the cargo lock held by the
//! `cargo test`/`cargo bench` that started us.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Guests {
    pub ecommerce: PathBuf,
    pub media: PathBuf,
    pub misbehave: PathBuf,
    pub future_contract: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is inside the workspace")
        .to_path_buf()
}

pub fn guests() -> &'static Guests {
    static GUESTS: OnceLock<Guests> = OnceLock::new();
    GUESTS.get_or_init(|| {
        let root = workspace_root();
        // Beside the main target folder (or $CARGO_TARGET_DIR), reused across runs.
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("guest-plugins");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&root)
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "-p",
                "ecommerce",
                "-p",
                "media",
                "-p",
                "misbehave",
                "-p",
                "future-contract",
            ])
            .env("CARGO_TARGET_DIR", &target)
            // The outer cargo's settings for the host build must not leak into the guests.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "building the guest plugins failed (is the wasm32-wasip2 target installed? \
             `rustup target add wasm32-wasip2`)"
        );
        let wasm = |name: &str| {
            target
                .join("wasm32-wasip2/release")
                .join(format!("{name}.wasm"))
        };
        Guests {
            ecommerce: wasm("ecommerce"),
            media: wasm("media"),
            misbehave: wasm("misbehave"),
            future_contract: wasm("future_contract"),
        }
    })
}
