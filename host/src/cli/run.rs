//! `rechost run`: runs through the host (files or a warehouse table as the source); the
//! arguments are shared with pushdown runs (`super::pushdown`) and project runs
//! (`super::project_run`, no plugin argument), which read them as overrides of rechost.toml.

use chrono::NaiveDate;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::databricks;
use super::output::{Output, progress_bar, show_progress};
use super::plugin_args::CacheArgs;
use rechost::plugin::{LimitNames, Limits, LoadOptions};
use rechost::run::{self, DEFAULT_BATCH_ROWS, MAX_BATCH_ROWS, RunError, RunPlan};
use rechost::source::{FileInput, OpenSource};
use rechost::warehouse::Warehouse;
use rechost::warehouse::databricks::{DatabricksTable, Settings};
use rechost::warehouse::snowflake::{ConnectionSettings, SnowflakeTable};
use rechost::window::{DEFAULT_LOOK_BACK_DAYS, DateWindow};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The domain plugin component, e.g. target/wasm32-wasip2/release/ecommerce.wasm.
    /// Without it, every enabled domain of the project file runs (./rechost.toml or --config).
    pub plugin: Option<PathBuf>,
    /// The project file to run [default: ./rechost.toml]; flags override its settings.
    #[arg(long, value_name = "FILE", conflicts_with = "plugin")]
    pub config: Option<PathBuf>,
    /// Where rows come from: local files (--input) or a warehouse table [default: files].
    #[arg(long, value_enum)]
    pub source: Option<SourceKind>,
    /// Source data (--source files): a .parquet or .csv file, a folder of them, or a glob
    /// ("exports/*.parquet").
    #[arg(long, value_name = "PATH")]
    pub input: Option<String>,
    /// Snowflake connection name in connections.toml ($SNOWFLAKE_HOME, default ~/.snowflake/)
    /// [default: SNOWFLAKE_DEFAULT_CONNECTION_NAME, else the file's default_connection_name].
    /// SNOWFLAKE_* environment variables override the file's settings.
    #[arg(long, value_name = "NAME")]
    pub connection: Option<String>,
    /// Databricks profile in ~/.databrickscfg ($DATABRICKS_CONFIG_FILE)
    /// [default: DATABRICKS_CONFIG_PROFILE, else DEFAULT]; DATABRICKS_* variables override it.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Databricks SQL warehouse id [default: DATABRICKS_WAREHOUSE_ID, else the profile's
    /// warehouse_id or http_path].
    #[arg(long, value_name = "ID")]
    pub warehouse_id: Option<String>,
    /// Warehouse table to read, as [database.]schema.]table (Databricks:
    /// [catalog.]schema.]table) [default: the plugin's table, in the connection's database and
    /// schema].
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// Print the SQL that --source snowflake|databricks (or --pushdown) would run, and exit without
    /// connecting.
    #[arg(long)]
    pub dry_run: bool,
    /// Run the whole job inside the warehouse with the functions `rechost register` created:
    /// transform, reduce and unload there; --out is then where the warehouse writes
    /// (Snowflake: @stage[/prefix], or s3://... with --storage-integration; Databricks: any
    /// path it can write).
    #[arg(long)]
    pub pushdown: bool,
    /// Schema of the registered functions (as given to `rechost register --udf-schema`).
    #[arg(long, value_name = "NAME", requires = "pushdown")]
    pub udf_schema: Option<String>,
    /// Snowflake storage integration for an s3:// --out with --pushdown.
    #[arg(long, value_name = "NAME", requires = "pushdown")]
    pub storage_integration: Option<String>,
    /// Snowflake --pushdown: function partitions per day of data (more: smaller, more parallel).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "pushdown",
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub buckets_per_day: u32,
    /// Output root: a local folder or s3://bucket/prefix; each dataset is written to
    /// OUT/<dataset>/. S3 credentials and region come from the standard AWS chain (env vars,
    /// profiles, SSO, instance roles).
    #[arg(long, value_name = "DIR|S3_URL")]
    pub out: Option<String>,
    /// S3-compatible endpoint URL (MinIO, PrivateLink, a local server); uses path-style
    /// addressing. AWS_ENDPOINT_URL_S3 works too.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// Size of the parts of S3 multipart uploads (S3 allows 5 to 5120).
    #[arg(long, value_name = "MIB", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(5..=5120))]
    pub s3_part_size_mib: u64,
    /// First day of the window, YYYY-MM-DD (UTC, inclusive). Needs --end-date.
    #[arg(
        long,
        value_name = "DATE",
        requires = "end_date",
        conflicts_with = "look_back_days"
    )]
    pub start_date: Option<NaiveDate>,
    /// Last day of the window, YYYY-MM-DD (UTC, inclusive). Needs --start-date.
    #[arg(long, value_name = "DATE", requires = "start_date")]
    pub end_date: Option<NaiveDate>,
    /// Window of the last N whole days before today (UTC) [default: 31].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub look_back_days: Option<u32>,
    /// Plugin option (repeatable); `rechost inspect` lists a plugin's options.
    #[arg(long = "option", short = 'o', value_name = "NAME=VALUE")]
    pub options: Vec<String>,
    /// Rows per batch read from the source (a batch too large for the plugin's memory is
    /// sent to it in slices).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_ROWS as u64,
          value_parser = clap::value_parser!(u64).range(1..=MAX_BATCH_ROWS as u64))]
    pub batch_rows: u64,
    /// Plugin instances transforming batches at once [default: number of CPUs].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Time one plugin call (one batch) may take before it is stopped.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub plugin_timeout_secs: f64,
    /// Memory the plugin may use.
    #[arg(long, value_name = "MIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub plugin_memory_mib: u64,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Refuse the plugin unless its sha256 is this (64 hex digits, as `rechost inspect` and
    /// every run summary print it).
    #[arg(long, value_name = "HEX", value_parser = super::plugin_args::parse_sha256)]
    pub plugin_sha256: Option<String>,
    /// Print the run summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// No progress bar and no summary (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Write the datasets even when every one is empty (by default such a run fails and leaves
    /// the previous output as it was).
    #[arg(long)]
    pub allow_empty: bool,
    /// Exit with code 3 when Personalize would refuse the datasets (readiness verdict).
    #[arg(long)]
    pub require_ready: bool,
    /// Largest CSV file per dataset, e.g. 1GB (what one INCREMENTAL import takes) or 500MB;
    /// larger datasets are split into parts, each with the header [default: 100GB, what one
    /// FULL import takes].
    #[arg(long, value_name = "SIZE", value_parser = super::size::parse_size)]
    pub max_file_size: Option<u64>,
    /// Memory the users' and items' kept rows (one per distinct id) and the readiness
    /// report's per-id counts (an eighth) may take, e.g. 2GiB; past it they are spilled as
    /// sorted runs to the temporary folder (TMPDIR) and merged at the end, so any number of
    /// ids fits [default: 128MiB].
    #[arg(long, value_name = "SIZE", value_parser = super::size::parse_size)]
    pub memory_budget: Option<u64>,
    /// A previous run to compare with in the HTML report: its output folder or its
    /// readiness-<domain>.json (local).
    #[arg(long, value_name = "PATH")]
    pub previous: Option<PathBuf>,
}

/// `--source`: local files, or a warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Files,
    Warehouse(Warehouse),
}

impl clap::ValueEnum for SourceKind {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            SourceKind::Files,
            SourceKind::Warehouse(Warehouse::Snowflake),
            SourceKind::Warehouse(Warehouse::Databricks),
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(match self {
            SourceKind::Files => {
                clap::builder::PossibleValue::new("files").help("Local Parquet/CSV files (--input)")
            }
            SourceKind::Warehouse(w) => clap::builder::PossibleValue::new(w.name()),
        })
    }
}

impl RunArgs {
    pub fn window(&self) -> anyhow::Result<DateWindow> {
        Ok(match (self.start_date, self.end_date) {
            (Some(start), Some(end)) => DateWindow::between(start, end)?,
            _ => DateWindow::look_back(
                self.look_back_days.unwrap_or(DEFAULT_LOOK_BACK_DAYS),
                chrono::Utc::now().date_naive(),
            )?,
        })
    }

    pub fn source_kind(&self) -> SourceKind {
        self.source.unwrap_or(SourceKind::Files)
    }

    /// The plugin argument (only a project run has none; `super::dispatch` sends those away).
    pub fn plugin(&self) -> &PathBuf {
        self.plugin.as_ref().expect("a plugin run has a plugin")
    }

    fn source(&self, interrupted: &Arc<AtomicBool>) -> anyhow::Result<Box<dyn OpenSource>> {
        match self.source_kind() {
            SourceKind::Files => {
                anyhow::ensure!(
                    self.connection.is_none()
                        && self.profile.is_none()
                        && self.warehouse_id.is_none()
                        && self.table.is_none()
                        && !self.dry_run,
                    "--connection, --profile, --warehouse-id, --table and --dry-run go with --source snowflake|databricks"
                );
                let input = self.input.clone().ok_or_else(|| {
                    anyhow::anyhow!("--input PATH is required (or --source snowflake)")
                })?;
                // A local --out inside --input must not be read back on the next run.
                let exclude = (self.out.as_deref()).filter(|out| !out.starts_with("s3://"));
                Ok(Box::new(FileInput {
                    input,
                    exclude: exclude.map(Into::into),
                }))
            }
            SourceKind::Warehouse(Warehouse::Databricks) => {
                anyhow::ensure!(
                    self.input.is_none(),
                    "--input reads files; --source databricks reads the warehouse (drop one)"
                );
                Ok(Box::new(DatabricksTable {
                    settings: Box::new(self.databricks_settings()?),
                    table: self.table.clone(),
                    progress: Some(databricks::progress_line(self.quiet || self.json, "")),
                    interrupt: Some(interrupted.clone()),
                }))
            }
            SourceKind::Warehouse(Warehouse::Snowflake) => {
                anyhow::ensure!(
                    self.input.is_none(),
                    "--input reads files; --source snowflake reads the warehouse (drop one)"
                );
                Ok(Box::new(SnowflakeTable {
                    connection: Box::new(self.snowflake_connection()?),
                    table: self.table.clone(),
                }))
            }
        }
    }

    pub fn databricks_settings(&self) -> anyhow::Result<Settings> {
        databricks::settings(self.profile.as_deref(), self.warehouse_id.as_deref())
    }

    pub fn snowflake_connection(&self) -> anyhow::Result<ConnectionSettings> {
        Ok(ConnectionSettings::from_environment(
            self.connection.as_deref(),
        )?)
    }

    /// The compile cache and the plugin limits from --plugin-timeout-secs and
    /// --plugin-memory-mib.
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        let call_timeout = Duration::try_from_secs_f64(self.plugin_timeout_secs)
            .ok()
            .filter(|t| !t.is_zero() && *t <= Duration::from_secs(86_400))
            .ok_or_else(|| {
                anyhow::anyhow!("--plugin-timeout-secs must be between 0 and 86400 seconds")
            })?;
        Ok(LoadOptions {
            cache_dir: self.cache.dir(),
            expected_sha256: self.plugin_sha256.clone(),
            limits: Limits {
                call_timeout,
                max_memory: (self.plugin_memory_mib << 20) as usize,
                names: LimitNames {
                    timeout: "--plugin-timeout-secs",
                    memory: "--plugin-memory-mib",
                },
                ..Limits::default()
            },
        })
    }

    pub fn memory_budget(&self) -> u64 {
        self.memory_budget
            .unwrap_or(rechost::run::DEFAULT_MEMORY_BUDGET)
    }

    pub fn workers(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    fn plan(&self) -> anyhow::Result<RunPlan> {
        let interrupted = Arc::default();
        Ok(RunPlan {
            plugin: self.plugin().clone(),
            source: self.source(&interrupted)?,
            window: self.window()?,
            options: self.options.clone(),
            batch_rows: self.batch_rows as usize,
            workers: self.workers(),
            load: self.load_options()?,
            allow_empty: self.allow_empty,
            export: None,
            interrupted,
            max_file_size: self
                .max_file_size
                .unwrap_or(rechost::sink::split::DEFAULT_MAX_FILE_SIZE),
            previous: self
                .previous
                .as_deref()
                .map(rechost::diff::Snapshot::load)
                .transpose()?,
            memory_budget: self.memory_budget(),
        })
    }
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    // Not `required` in clap: a project run takes its output from the project file.
    let Some(out) = args.out.clone() else {
        clap::Error::raw(
            clap::error::ErrorKind::MissingRequiredArgument,
            "the following required arguments were not provided:\n  --out <DIR|S3_URL>\n",
        )
        .exit()
    };
    let plan = args.plan()?;
    // First Ctrl-C / SIGTERM: stop after the current batch and clean up (temporary files,
    // open S3 uploads). A second one exits at once.
    let interrupted = plan.interrupted.clone();
    ctrlc::set_handler(move || {
        if interrupted.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("interrupted: stopping and cleaning up (press Ctrl-C again to exit now)");
    })?;
    let output = Output::open(&out, args.s3_endpoint.clone(), args.s3_part_size_mib)?;
    let bar = progress_bar(args.quiet || args.json);
    let summary = run::run(&plan, output.destination(), &|p| {
        show_progress(&bar, &output, p)
    });
    bar.finish_and_clear();
    let summary = match summary {
        Ok(summary) => summary,
        Err(RunError::Interrupted) => {
            eprintln!("interrupted; {out} was left unchanged");
            return Ok(ExitCode::from(130));
        }
        Err(e) => {
            let unchanged = e.output_unchanged();
            let mut context = format!("run of {} failed", plan.plugin.display());
            if unchanged {
                context.push_str(&format!("; {out} was left unchanged"));
            }
            return Err(anyhow::Error::new(e).context(context));
        }
    };

    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &summary)?;
        writeln!(stdout)?;
    } else if !args.quiet {
        write!(stdout, "{}", super::summary::describe(&summary))?;
        if let Some(bytes) = output.bytes_uploaded() {
            writeln!(stdout, "uploaded   {}", indicatif::HumanBytes(bytes))?;
        }
    }
    if args.require_ready && !summary.readiness.ready {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}
