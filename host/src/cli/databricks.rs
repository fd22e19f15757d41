//! The Databricks connection of `run --source databricks` and `register --target databricks`:
//! settings resolved as Databricks' own tools resolve them, and a client that shows a progress
//! line while its SQL warehouse starts and cancels its statement on Ctrl-C.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use rechost::warehouse::databricks::config::{Explicit, resolve};
use rechost::warehouse::databricks::{Databricks, Progress, Settings};

/// `--profile` and `--warehouse-id` over `DATABRICKS_*` and `~/.databrickscfg`.
pub fn settings(profile: Option<&str>, warehouse_id: Option<&str>) -> anyhow::Result<Settings> {
    let explicit = Explicit {
        profile: profile.map(str::to_string),
        warehouse_id: warehouse_id.map(str::to_string),
        ..Explicit::default()
    };
    let home = std::env::home_dir();
    Ok(resolve(
        &explicit,
        &|key| std::env::var(key).ok(),
        home.as_deref(),
    )?)
}

/// The progress callback: a spinner line on stderr while a statement waits for its warehouse
/// (or, for a long script, runs), cleared once it runs; nothing when `quiet`.
pub fn progress_line(quiet: bool, running: &'static str) -> Arc<dyn Fn(&Progress) + Send + Sync> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"))
    };
    Arc::new(move |progress: &Progress| match progress {
        Progress::WaitingForWarehouse {
            warehouse,
            state,
            waited,
        } => {
            let state = state.as_deref().unwrap_or("starting");
            bar.set_message(format!(
                "waiting for SQL warehouse {warehouse} ({state}, {} s)",
                waited.as_secs()
            ));
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Progress::Running { waited } if !running.is_empty() => {
            bar.set_message(format!("{running} ({} s)", waited.as_secs()));
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Progress::Running { .. } => bar.finish_and_clear(),
    })
}

/// A client for `settings` reporting through [`progress_line`] and cancelled by `interrupt`.
pub fn client(
    settings: &Settings,
    interrupt: Arc<AtomicBool>,
    quiet: bool,
    running: &'static str,
) -> anyhow::Result<Databricks> {
    let report = progress_line(quiet, running);
    Ok(Databricks::connect(settings)?
        .with_progress(move |p| report(p))
        .with_interrupt(interrupt))
}
