//! Arguments (clap) and one module per command.

mod diff;
mod inspect;
mod register;
mod run;
mod sample;
mod size;
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
    /// Build a plugin's datasets from local Parquet/CSV files or a Snowflake table.
    Run(Box<run::RunArgs>),
    /// Show a plugin's manifest: source table and columns, datasets, options.
    Inspect(inspect::InspectArgs),
    /// Write deterministic synthetic Snowplow data to try rechost with.
    Sample(sample::SampleArgs),
    /// Print (or, on Snowflake, run) the DDL that creates the plugin's datasets as warehouse
    /// table functions, for in-warehouse runs (`run --pushdown`).
    Register(register::RegisterArgs),
    /// Check datasets on disk (schema.avsc + CSV parts) against Personalize's import rules;
    /// exits 1 when an import job would fail.
    Validate(validate::ValidateArgs),
    /// Compare two runs (output folders or readiness JSON reports).
    Diff(diff::DiffArgs),
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Inspect(args) => inspect::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Register(args) => register::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Diff(args) => diff::run(args),
    }
}

/// The compile cache folder: `--cache-dir`, else `$RECHOST_CACHE_DIR`, else the user cache.
pub fn cache_dir(given: Option<std::path::PathBuf>, disabled: bool) -> Option<std::path::PathBuf> {
    if disabled {
        return None;
    }
    given
        .or_else(|| std::env::var_os("RECHOST_CACHE_DIR").map(Into::into))
        .or_else(|| dirs::cache_dir().map(|d| d.join("rechost")))
}

/// Prints generated SQL; a closed pipe (`| head`) ends quietly (see `main`).
pub fn print_sql(sql: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sql.trim_end())?;
    out.flush()
}

/// The Snowflake connection `name` (or the default one) from connections.toml and `SNOWFLAKE_*`.
pub fn snowflake_connection(
    name: Option<&str>,
) -> anyhow::Result<rechost::snowflake::ConnectionSettings> {
    use rechost::snowflake::config;
    let env = |key: &str| std::env::var(key).ok();
    let file = config::default_connections_file(&env);
    Ok(config::resolve(name, file.as_deref(), &env)?)
}

/// Runs a generated script on Snowflake one statement at a time; a failure names the statement.
pub fn run_on_snowflake(
    settings: &rechost::snowflake::ConnectionSettings,
    script: &str,
    quiet: bool,
) -> anyhow::Result<()> {
    let session = rechost::snowflake::Snowflake::connect(settings)?;
    for statement in rechost::warehouse::statements(script) {
        let first_line = statement.lines().next().unwrap_or_default().to_string();
        session
            .execute(&statement)
            .map_err(|e| anyhow::Error::new(e).context(format!("running `{first_line}`")))?;
        if !quiet {
            eprintln!("ok  {first_line}");
        }
    }
    Ok(())
}
