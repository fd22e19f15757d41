//! The on-disk cache of compiled components. Compiled code runs natively, so an entry is
//! only ever used by the user who wrote it and for the very bytes it was compiled from.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::transform::CacheOutcome;

/// The default cache folder: `$RECHOST_CACHE_DIR`, else the user cache folder.
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os("RECHOST_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("rechost")))
}

/// Compiles `wasm`, or loads the compiled form from `cache_dir` when a previous run
/// compiled the same bytes with a compatible engine. Cache problems never fail a load:
/// a broken or stale entry is recompiled and rewritten.
pub fn load_component(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: Option<&Path>,
) -> wasmtime::Result<(Component, CacheOutcome)> {
    let Some(dir) = cache_dir else {
        return Ok((Component::new(engine, wasm)?, CacheOutcome::Disabled));
    };
    let path = cache_path(engine, dir, wasm);
    if path.exists() {
        // SAFETY: the file was written by `precompile_component` of a compatible engine
        // into rechost's own cache directory; wasmtime checks the engine compatibility
        // header and returns an error (not UB) for a mismatch.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok((component, CacheOutcome::Hit));
        }
    }
    let compiled = engine.precompile_component(wasm)?;
    // SAFETY: the bytes were produced just above by this very engine.
    let component = unsafe { Component::deserialize(engine, &compiled)? };
    let stored = write_atomically(&path, &compiled).is_ok();
    Ok((
        component,
        if stored {
            CacheOutcome::Stored
        } else {
            CacheOutcome::Miss
        },
    ))
}

fn cache_path(engine: &Engine, dir: &Path, wasm: &[u8]) -> PathBuf {
    let digest = Sha256::digest(wasm);
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    dir.join(format!(
        "{}-{:016x}.cwasm",
        hex(&digest[..16]),
        engine_hash.finish()
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        // Compiled code runs natively: keep the cache private to its user.
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// sha256 of a file's bytes, hex: shown in reports so a run names exactly which plugin ran.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
