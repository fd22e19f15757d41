//! `rechost diff`: what changed between two runs.

use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use rechost::diff::{Snapshot, compare};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run: an output folder (--out of `rechost run`) or its readiness-<domain>.json.
    old: PathBuf,
    /// The later run, likewise. Two folders also show which users and items came and went.
    new: PathBuf,
    /// Print the comparison as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = Snapshot::load(&args.old)?;
    let new = Snapshot::load(&args.new)?;
    anyhow::ensure!(
        old.domain == new.domain,
        "{} is a {} report and {} a {} one: compare runs of one domain",
        old.label,
        old.domain,
        new.label,
        new.domain
    );
    let diff = compare(&old, &new, None);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &diff)?;
        writeln!(out)?;
    } else {
        write!(out, "{diff}")?;
    }
    Ok(ExitCode::SUCCESS)
}
