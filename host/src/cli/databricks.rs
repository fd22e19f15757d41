//! The Databricks connection of `run --source databricks` and `register --target databricks`:
//! settings resolved as Databricks' own tools resolve them, and a client that shows a progress
//! line while its SQL warehouse starts and cancels its statement on Ctrl-C.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use rechost::warehouse::databricks::config::{Explicit, resolve};
use rechost::warehouse::databricks::{Databricks, Progress, ProgressFn, Settings};

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
pub fn progress_line(quiet: bool, running: &'static str) -> ProgressFn {
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

/// A Ctrl-C flag for a command that talks to Databricks: the first Ctrl-C cancels the running
/// statement, a second one exits at once.
fn interrupt_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    ctrlc::set_handler(move || {
        if handler_flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("interrupted: cancelling the statement (press Ctrl-C again to exit now)");
    })?;
    Ok(flag)
}

/// A generated script as one compound statement (`BEGIN ... END`): one request, one id to
/// cancel, no session state between statements. Its leading comment lines stay in front, so
/// messages name the statement by rechost's header comment.
pub fn compound(script: &str) -> String {
    let lines: Vec<&str> = script.trim_end().lines().collect();
    let body_start = lines
        .iter()
        .position(|l| !(l.trim().is_empty() || l.trim_start().starts_with("--")))
        .unwrap_or(lines.len());
    let (header, body) = lines.split_at(body_start);
    let mut text = String::new();
    for line in header.iter().filter(|l| !l.trim().is_empty()) {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("BEGIN\n");
    for line in body {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("END");
    text
}

/// The client of `run --pushdown` on Databricks: a progress line, cancelled on Ctrl-C (each
/// script runs as one compound statement, see [`compound`]).
pub fn pushdown_client(settings: &Settings, quiet: bool) -> anyhow::Result<Databricks> {
    client(
        settings,
        interrupt_flag()?,
        quiet,
        "running the pushdown script",
    )
}

/// `register --execute` on Databricks: `uploads` (local file, `/Volumes/...` path) through the
/// Files API, then the DDL one statement at a time (the engine takes one `CREATE FUNCTION`
/// per statement).
pub fn register(
    settings: &Settings,
    uploads: &[(std::path::PathBuf, String)],
    script: &str,
) -> anyhow::Result<()> {
    let client = client(settings, interrupt_flag()?, false, "")?;
    for (file, path) in uploads {
        client.upload(file, path, true)?;
        eprintln!("ok  uploaded {} to {path}", file.display());
    }
    rechost::warehouse::run_script(&client, script, &mut |first_line| {
        eprintln!("ok  {first_line}");
    })?;
    Ok(())
}
