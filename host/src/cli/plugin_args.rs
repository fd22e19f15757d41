//! The flags every command that loads a plugin shares, and the one way it loads.

use clap::Args;
use std::path::{Path, PathBuf};

use rechost::plugin::{LoadOptions, Plugin, cache};

#[derive(Debug, Clone, Args)]
pub struct CacheArgs {
    /// Folder for compiled plugins [default: $RECHOST_CACHE_DIR or the user cache folder].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile the plugin without reading or writing the cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    /// The compile cache folder: `--cache-dir`, else the default one; none with `--no-cache`.
    pub fn dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir.clone().or_else(cache::default_dir)
    }

    /// Loads `plugin` with default limits (for commands that only need its manifest).
    pub fn load(&self, plugin: &Path) -> anyhow::Result<Plugin> {
        let options = LoadOptions {
            cache_dir: self.dir(),
            ..LoadOptions::default()
        };
        Ok(Plugin::load(plugin, &options)?)
    }
}

/// `--plugin-sha256`: 64 hex digits, compared in lower case.
pub fn parse_sha256(text: &str) -> Result<String, String> {
    if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err("expected 64 hexadecimal digits".into())
    }
}
