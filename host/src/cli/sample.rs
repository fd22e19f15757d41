use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use rechost::sample::{Domain, SampleSpec};

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Which Snowplow table to imitate.
    domain: Domain,
    /// Number of rows.
    #[arg(long, default_value_t = 100_000)]
    rows: u64,
    /// Output file: .parquet, or .csv in the Snowplow export format.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Random seed; the same seed, rows and dates give the same file.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Last day with events, YYYY-MM-DD [default: yesterday, UTC, so the default look-back
    /// window of `rechost run` covers the data].
    #[arg(long, value_name = "DATE")]
    end_date: Option<chrono::NaiveDate>,
    /// Number of days the events spread over.
    #[arg(long, default_value_t = 14)]
    days: u32,
}

pub fn run(args: SampleArgs) -> anyhow::Result<ExitCode> {
    let today = chrono::Utc::now().date_naive();
    let spec = SampleSpec {
        domain: args.domain,
        rows: args.rows,
        seed: args.seed,
        end_date: args.end_date.unwrap_or(today - chrono::Days::new(1)),
        days: args.days,
    };
    let rows = rechost::sample::write(&spec, &args.out)
        .with_context(|| format!("writing sample data to {}", args.out.display()))?;
    eprintln!(
        "wrote {rows} {:?} rows to {} ({} to {})",
        spec.domain,
        args.out.display(),
        spec.end_date - chrono::Days::new(u64::from(spec.days.max(1)) - 1),
        spec.end_date
    );
    Ok(ExitCode::SUCCESS)
}
