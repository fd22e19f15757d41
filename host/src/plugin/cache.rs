//! The on-disk cache of compiled components. Compiled code runs natively, so an entry is used
//! only when it provably belongs to the bytes being loaded (each entry starts with the full
//! sha256 of the component it was compiled from) and only from a folder that no other user can
//! write (as ssh treats private keys): otherwise a planted entry would run outside the sandbox.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::transform::CacheOutcome;

/// A cache that must not be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "refusing the compile cache {path}: {problem}; compiled plugins run as native code, so \
         the cache must be a folder only you can write (chmod 700 it, choose another with \
         --cache-dir or $RECHOST_CACHE_DIR, or use --no-cache)"
    )]
    Unsafe { path: PathBuf, problem: String },
    #[error(transparent)]
    Compile(#[from] wasmtime::Error),
}

/// The default cache folder: `$RECHOST_CACHE_DIR`, else the user cache folder.
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os("RECHOST_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("rechost")))
}

/// Compiles `wasm`, or loads the compiled form from `cache_dir` when a previous run compiled
/// the same bytes with a compatible engine. A stale, broken or mismatched entry is recompiled
/// and rewritten; an unsafe folder or entry is refused.
pub fn load_component(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: Option<&Path>,
) -> Result<(Component, CacheOutcome), CacheError> {
    let Some(dir) = cache_dir else {
        return Ok((Component::new(engine, wasm)?, CacheOutcome::Disabled));
    };
    let digest: [u8; 32] = Sha256::digest(wasm).into();
    let path = cache_path(engine, dir, &digest);
    if dir.exists() {
        ensure_private(dir)?;
    }
    if let Some(compiled) = read_entry(&path, &digest)? {
        // SAFETY: the entry is in a folder only this user can write, is not writable by others
        // either, and names the digest of exactly these bytes: it was written by
        // `precompile_component` below. wasmtime checks the engine compatibility header and
        // returns an error (not UB) for a mismatch.
        if let Ok(component) = unsafe { Component::deserialize(engine, compiled) } {
            return Ok((component, CacheOutcome::Hit));
        }
    }
    let compiled = engine.precompile_component(wasm)?;
    // SAFETY: the bytes were produced just above by this very engine.
    let component = unsafe { Component::deserialize(engine, &compiled)? };
    let stored = write_entry(&path, &digest, &compiled).is_ok();
    let outcome = if stored {
        CacheOutcome::Stored
    } else {
        CacheOutcome::Miss
    };
    Ok((component, outcome))
}

fn cache_path(engine: &Engine, dir: &Path, digest: &[u8; 32]) -> PathBuf {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    dir.join(format!(
        "{}-{:016x}.cwasm",
        hex(digest),
        engine_hash.finish()
    ))
}

/// The compiled bytes of an entry whose header is `digest`; `None` when there is no entry or
/// it belongs to other bytes (it is then overwritten).
fn read_entry(path: &Path, digest: &[u8; 32]) -> Result<Option<Vec<u8>>, CacheError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    ensure_private(path)?;
    let Ok(mut bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    if bytes.get(..digest.len()) != Some(&digest[..]) {
        return Ok(None);
    }
    bytes.drain(..digest.len());
    Ok(Some(bytes))
}

/// Refuses a path that is a symlink, is owned by another user or is writable by others.
#[cfg(unix)]
fn ensure_private(path: &Path) -> Result<(), CacheError> {
    use std::os::unix::fs::MetadataExt;
    let unsafe_because = |problem: String| CacheError::Unsafe {
        path: path.into(),
        problem,
    };
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| unsafe_because(format!("cannot inspect it ({e})")))?;
    if meta.file_type().is_symlink() {
        return Err(unsafe_because("it is a symbolic link".into()));
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(unsafe_because(format!(
            "it is owned by user {}, not by you ({me})",
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_because(format!(
            "it is writable by other users (mode {:o})",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn ensure_private(_path: &Path) -> Result<(), CacheError> {
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_entry(path: &Path, digest: &[u8; 32], compiled: &[u8]) -> std::io::Result<()> {
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
    let mut bytes = Vec::with_capacity(digest.len() + compiled.len());
    bytes.extend_from_slice(digest);
    bytes.extend_from_slice(compiled);
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    std::io::Write::write_all(&mut file.open(&tmp)?, &bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// sha256 of a file's bytes, hex: shown in reports so a run names exactly which plugin ran.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
