use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use rechost::sample::{Domain, IdShape, SampleSpec, Shape};

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
    /// Distinct users [default: rows / 25, within 10..=2M].
    #[arg(long, value_name = "N", help_heading = "Data shape")]
    users: Option<usize>,
    /// Distinct items [default: rows / 100, within 12..=200k].
    #[arg(long, value_name = "N", help_heading = "Data shape")]
    items: Option<usize>,
    /// Shape of anonymous user ids [default: hex64].
    #[arg(long, value_name = "SHAPE", help_heading = "Data shape")]
    user_ids: Option<IdShape>,
    /// Shape of item ids [default: numeric].
    #[arg(long, value_name = "SHAPE", help_heading = "Data shape")]
    item_ids: Option<IdShape>,
    /// Percent of users logged in (numeric login ids win over anonymous ids) [default: 60].
    #[arg(long, value_name = "PCT", help_heading = "Data shape",
          value_parser = clap::value_parser!(u8).range(0..=100))]
    logged_in: Option<u8>,
    /// Percent of ecommerce rows that are interactions (views, transactions) [default: 70].
    #[arg(long, value_name = "PCT", help_heading = "Data shape",
          value_parser = clap::value_parser!(u8).range(0..=100))]
    interactions: Option<u8>,
    /// Zipf exponent of item popularity, e.g. 1.1 [default: a cubic skew].
    #[arg(long, value_name = "S", help_heading = "Data shape")]
    item_zipf: Option<f64>,
}

pub fn run(args: SampleArgs) -> anyhow::Result<ExitCode> {
    let today = chrono::Utc::now().date_naive();
    let spec = SampleSpec {
        domain: args.domain,
        rows: args.rows,
        seed: args.seed,
        end_date: args.end_date.unwrap_or(today - chrono::Days::new(1)),
        days: args.days,
        shape: Shape {
            users: args.users,
            items: args.items,
            user_ids: args.user_ids,
            item_ids: args.item_ids,
            logged_in_percent: args.logged_in,
            interaction_percent: args.interactions,
            item_zipf: args.item_zipf,
        },
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
