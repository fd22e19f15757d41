//! The wasmtime engine shared by every plugin instance of a run, its epoch ticker (cheap
//! per-call deadlines) and the on-disk cache of compiled components.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// How often the epoch advances; deadlines are whole numbers of ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// An engine plus the thread that advances its epoch. Dropping it stops the thread.
pub struct PluginEngine {
    engine: Engine,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl PluginEngine {
    pub fn new() -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = Engine::new(&config)?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("rechost-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(wasmtime::Error::from)?
        };
        Ok(Self {
            engine,
            stop,
            ticker: Some(ticker),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles `wasm`, or loads the compiled form from `cache_dir` when a previous run
    /// compiled the same bytes with a compatible engine. Cache problems never fail a load:
    /// a broken or stale entry is recompiled and rewritten.
    pub fn load_component(
        &self,
        wasm: &[u8],
        cache_dir: Option<&Path>,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let Some(dir) = cache_dir else {
            return Ok((Component::new(&self.engine, wasm)?, CacheOutcome::Disabled));
        };
        let path = self.cache_path(dir, wasm);
        if path.exists() {
            // SAFETY: the file was written by `precompile_component` of a compatible engine
            // into rechost's own cache directory; wasmtime checks the engine compatibility
            // header and returns an error (not UB) for a mismatch.
            if let Ok(component) = unsafe { Component::deserialize_file(&self.engine, &path) } {
                return Ok((component, CacheOutcome::Hit));
            }
        }
        let compiled = self.engine.precompile_component(wasm)?;
        // SAFETY: the bytes were produced just above by this very engine.
        let component = unsafe { Component::deserialize(&self.engine, &compiled)? };
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

    fn cache_path(&self, dir: &Path, wasm: &[u8]) -> PathBuf {
        let digest = Sha256::digest(wasm);
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        dir.join(format!(
            "{}-{:016x}.cwasm",
            hex(&digest[..16]),
            engine_hash.finish()
        ))
    }
}

impl Drop for PluginEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

/// What the compile cache did for a load (shown with `--verbose`-style summaries and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheOutcome {
    Disabled,
    Hit,
    Stored,
    Miss,
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
