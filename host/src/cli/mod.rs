//! Arguments (clap) and one module per command.

mod check;
mod config;
mod databricks;
mod diff;
mod init;
mod inspect;
mod new;
mod output;
mod plugin_args;
mod project_file;
mod project_pushdown;
mod project_run;
mod project_table;
mod pushdown;
mod pushdown_job;
mod register;
mod run;
mod sample;
mod size;
mod summary;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// rechost turns Snowplow warehouse tables into AWS Personalize / Shaped.ai training datasets.
/// Domain rules live in WebAssembly plugins (e.g. ecommerce.wasm, media.wasm).
#[derive(Debug, Parser)]
#[command(name = "rechost", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a plugin's datasets from local Parquet/CSV files or a Snowflake or Databricks
    /// table; without a plugin, every enabled domain of the project file (rechost.toml).
    Run(Box<run::RunArgs>),
    /// Write a commented project file (rechost.toml).
    Init(init::InitArgs),
    /// Print the project file's resolved settings and where each value came from.
    Config(config::ConfigArgs),
    /// Check a plugin before running it: its manifest, and its transform on edge-case batches
    /// (exit 1 when a check fails).
    Check(check::CheckArgs),
    /// Create a plugin skeleton in Rust, Python or JavaScript (manifest, transform, build
    /// command, a test on sample rows).
    New(new::NewArgs),
    /// Show a plugin's manifest: source table and columns, datasets, options.
    Inspect(inspect::InspectArgs),
    /// Write deterministic synthetic Snowplow data to try rechost with.
    Sample(sample::SampleArgs),
    /// Print (or, with --execute, run) the DDL that creates the plugin's datasets as warehouse
    /// table functions, for in-warehouse runs (`run --pushdown`).
    Register(Box<register::RegisterArgs>),
    /// Check datasets on disk (schema.avsc + CSV parts) against Personalize's import rules;
    /// exits 1 when an import job would fail.
    Validate(validate::ValidateArgs),
    /// Compare two runs (output folders or readiness JSON reports).
    Diff(diff::DiffArgs),
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        // A project run reads --pushdown and --dry-run from the project file too.
        Command::Run(args) if args.plugin.is_none() => project_run::run(&args),
        Command::Run(args) if args.pushdown => pushdown::pushdown(&args),
        Command::Run(args) if args.dry_run => pushdown::print_query(&args),
        Command::Run(args) => run::run(*args),
        Command::Init(args) => init::run(args),
        Command::Config(args) => config::run(args),
        Command::Check(args) => check::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::New(args) => new::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Register(args) => register::run(*args),
        Command::Validate(args) => validate::run(args),
        Command::Diff(args) => diff::run(args),
    }
}

/// Prints generated SQL; a closed pipe (`| head`) ends quietly (see `main`).
pub fn print_sql(sql: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sql.trim_end())?;
    out.flush()
}

/// Runs a generated script on Snowflake one statement at a time; a failure names the statement.
pub fn run_on_snowflake(
    settings: &rechost::warehouse::snowflake::ConnectionSettings,
    script: &str,
    quiet: bool,
) -> anyhow::Result<()> {
    let session = rechost::warehouse::snowflake::Snowflake::connect(settings)?;
    rechost::warehouse::run_script(&session, script, &mut |first_line| {
        if !quiet {
            eprintln!("ok  {first_line}");
        }
    })?;
    Ok(())
}
