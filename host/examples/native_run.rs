//! Benchmark-only: the `rechost run` pipeline with the ecommerce transform linked natively
//! (`native`, the limit for the WebAssembly boundary) or with no transform at all (`io`, the
//! floor of reading and writing). Used by `bench/e2e.py`; not part of the shipped binary.
//!
//! Usage: native_run native|io PLUGIN.wasm INPUT OUT START END WORKERS [BATCH_ROWS]
//! (PLUGIN.wasm provides the manifest, so both runs describe the same datasets.)

#[allow(dead_code)]
#[path = "../../tests/support/native.rs"]
mod native;

use rechost::plugin::{LoadOptions, cache};
use rechost::run::{self, DEFAULT_BATCH_ROWS, RunPlan};
use rechost::sink::LocalDir;
use rechost::source::FileInput;
use rechost::transform::Transformer;
use rechost::window::DateWindow;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, plugin, input, out, start, end, workers] = &args[..args.len().min(7)] else {
        anyhow::bail!(
            "usage: native_run native|io PLUGIN.wasm INPUT OUT START END WORKERS [BATCH_ROWS]"
        );
    };
    let started = Instant::now();
    let plan = RunPlan {
        plugin: PathBuf::from(plugin),
        source: Box::new(FileInput {
            input: input.clone(),
            exclude: Some(out.into()),
        }),
        window: DateWindow::between(start.parse()?, end.parse()?)?,
        options: vec![],
        batch_rows: args.get(7).map_or(Ok(DEFAULT_BATCH_ROWS), |b| b.parse())?,
        workers: workers.parse()?,
        load: LoadOptions {
            cache_dir: cache::default_dir(),
            ..LoadOptions::default()
        },
        allow_empty: false,
        export: None,
        interrupted: Default::default(),
        max_file_size: rechost::sink::split::DEFAULT_MAX_FILE_SIZE,
        previous: None,
        memory_budget: run::DEFAULT_MEMORY_BUDGET,
    };
    let (plugin, options) = run::load_plugin(&plan)?;
    let info = Transformer::info(&plugin);
    let transformer: Box<dyn Transformer> = match mode.as_str() {
        "native" => Box::new(native::NativeEcommerce {
            manifest: plugin.manifest.clone(),
            info,
        }),
        "io" => Box::new(native::Passthrough::new(plugin.manifest.clone(), info)),
        other => anyhow::bail!("unknown mode {other} (native or io)"),
    };
    let destination = LocalDir::open(out)?;
    let summary = run::run_transform(
        &plan,
        transformer.as_ref(),
        &options,
        &destination,
        &|_| {},
        started,
    )?;
    eprintln!(
        "{mode}: {} rows read in {:.3} s",
        summary.rows_read, summary.elapsed_seconds
    );
    Ok(())
}
