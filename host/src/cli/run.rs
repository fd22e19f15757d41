use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use rechost::pipeline::{self, DEFAULT_BATCH_ROWS, Progress, RunError, RunPlan, RunSummary};
use rechost::plugin::{Limits, Plugin, PluginEngine};
use rechost::sink::s3::S3Settings;
use rechost::sink::{Destination, LocalDir, S3Dir};
use rechost::source::{self, SourcePlan};
use rechost::warehouse::{self, PushdownPlan, Warehouse};
use rechost::window::{DEFAULT_LOOK_BACK_DAYS, DateWindow};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The domain plugin component, e.g. target/wasm32-wasip2/release/ecommerce.wasm.
    plugin: PathBuf,
    /// Where rows come from: local files (--input) or a Snowflake table.
    #[arg(long, value_enum, default_value_t = SourceKind::Files)]
    source: SourceKind,
    /// Source data (--source files): a .parquet or .csv file, a folder of them, or a glob
    /// ("exports/*.parquet").
    #[arg(long, value_name = "PATH")]
    input: Option<String>,
    /// Snowflake connection name in connections.toml ($SNOWFLAKE_HOME, default ~/.snowflake/)
    /// [default: SNOWFLAKE_DEFAULT_CONNECTION_NAME, else the file's default_connection_name].
    /// SNOWFLAKE_* environment variables override the file's settings.
    #[arg(long, value_name = "NAME")]
    connection: Option<String>,
    /// Warehouse table to read, as [database.]schema.]table [default: the plugin's table,
    /// in the connection's database and schema].
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// Print the SQL that --source snowflake (or --pushdown) would run, and exit without
    /// connecting.
    #[arg(long)]
    dry_run: bool,
    /// Run the whole job inside the warehouse with the functions `rechost register` created:
    /// transform, reduce and unload there; --out is then where the warehouse writes
    /// (Snowflake: @stage[/prefix], or s3://... with --storage-integration; Databricks: any
    /// path it can write).
    #[arg(long)]
    pushdown: bool,
    /// Schema of the registered functions (as given to `rechost register --udf-schema`).
    #[arg(long, value_name = "NAME", requires = "pushdown")]
    udf_schema: Option<String>,
    /// Snowflake storage integration for an s3:// --out with --pushdown.
    #[arg(long, value_name = "NAME", requires = "pushdown")]
    storage_integration: Option<String>,
    /// Snowflake --pushdown: function partitions per day of data (more: smaller, more parallel).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "pushdown",
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    buckets_per_day: u32,
    /// Output root: a local folder or s3://bucket/prefix; each dataset is written to
    /// OUT/<dataset>/. S3 credentials and region come from the standard AWS chain (env vars,
    /// profiles, SSO, instance roles).
    #[arg(long, value_name = "DIR|S3_URL", required_unless_present = "dry_run")]
    out: Option<String>,
    /// S3-compatible endpoint URL (MinIO, PrivateLink, a local server); uses path-style
    /// addressing. AWS_ENDPOINT_URL_S3 works too.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Size of the parts of S3 multipart uploads (S3 allows 5 to 5120).
    #[arg(long, value_name = "MIB", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(5..=5120))]
    s3_part_size_mib: u64,
    /// First day of the window, YYYY-MM-DD (UTC, inclusive). Needs --end-date.
    #[arg(
        long,
        value_name = "DATE",
        requires = "end_date",
        conflicts_with = "look_back_days"
    )]
    start_date: Option<NaiveDate>,
    /// Last day of the window, YYYY-MM-DD (UTC, inclusive). Needs --start-date.
    #[arg(long, value_name = "DATE", requires = "start_date")]
    end_date: Option<NaiveDate>,
    /// Window of the last N whole days before today (UTC).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LOOK_BACK_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=36_500))]
    look_back_days: u32,
    /// Plugin option (repeatable); `rechost inspect` lists a plugin's options.
    #[arg(long = "option", short = 'o', value_name = "NAME=VALUE")]
    options: Vec<String>,
    /// Rows per batch sent through the plugin.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_ROWS)]
    batch_rows: usize,
    /// Plugin instances transforming batches at once [default: number of CPUs].
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Time one plugin call (one batch) may take before it is stopped.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    plugin_timeout_secs: f64,
    /// Memory the plugin may use.
    #[arg(long, value_name = "MIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    plugin_memory_mib: u64,
    /// Folder for compiled plugins [default: $RECHOST_CACHE_DIR or the user cache folder].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile the plugin without reading or writing the cache.
    #[arg(long)]
    no_cache: bool,
    /// Print the run summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// No progress bar and no summary (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Exit with code 3 when Personalize would refuse the datasets (readiness verdict).
    #[arg(long)]
    require_ready: bool,
    /// Largest CSV file per dataset, e.g. 1GB (what one INCREMENTAL import takes) or 500MB;
    /// larger datasets are split into parts, each with the header [default: 100GB, what one
    /// FULL import takes].
    #[arg(long, value_name = "SIZE", value_parser = super::size::parse_size)]
    max_file_size: Option<u64>,
    /// A previous run to compare with in the HTML report: its output folder or its
    /// readiness-<domain>.json (local).
    #[arg(long, value_name = "PATH")]
    previous: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SourceKind {
    /// Local Parquet/CSV files (--input).
    Files,
    /// A Snowflake table, queried with the connection's settings.
    Snowflake,
    /// A Databricks table (with --pushdown only: the job runs there).
    Databricks,
}

impl RunArgs {
    fn window(&self) -> anyhow::Result<DateWindow> {
        Ok(match (self.start_date, self.end_date) {
            (Some(start), Some(end)) => DateWindow::between(start, end)?,
            _ => DateWindow::look_back(self.look_back_days, chrono::Utc::now().date_naive())?,
        })
    }

    fn source(&self) -> anyhow::Result<SourcePlan> {
        match self.source {
            SourceKind::Files => {
                anyhow::ensure!(
                    self.connection.is_none() && self.table.is_none() && !self.dry_run,
                    "--connection, --table and --dry-run go with --source snowflake"
                );
                let input = self.input.clone().ok_or_else(|| {
                    anyhow::anyhow!("--input PATH is required (or --source snowflake)")
                })?;
                Ok(SourcePlan::Files { input })
            }
            SourceKind::Databricks => {
                anyhow::bail!("--source databricks runs in the warehouse: add --pushdown")
            }
            SourceKind::Snowflake => {
                anyhow::ensure!(
                    self.input.is_none(),
                    "--input reads files; --source snowflake reads the warehouse (drop one)"
                );
                let connection = super::snowflake_connection(self.connection.as_deref())?;
                Ok(SourcePlan::Snowflake {
                    connection: Box::new(connection),
                    table: self.table.clone(),
                })
            }
        }
    }

    fn plan(&self) -> anyhow::Result<RunPlan> {
        let window = self.window()?;
        let call_timeout = Duration::try_from_secs_f64(self.plugin_timeout_secs)
            .ok()
            .filter(|t| !t.is_zero() && *t <= Duration::from_secs(86_400))
            .ok_or_else(|| {
                anyhow::anyhow!("--plugin-timeout-secs must be between 0 and 86400 seconds")
            })?;
        anyhow::ensure!(self.batch_rows > 0, "--batch-rows must be positive");
        Ok(RunPlan {
            plugin: self.plugin.clone(),
            source: self.source()?,
            window,
            options: self.options.clone(),
            batch_rows: self.batch_rows,
            workers: self
                .workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            limits: Limits {
                call_timeout,
                max_memory: (self.plugin_memory_mib << 20) as usize,
                ..Limits::default()
            },
            cache_dir: super::cache_dir(self.cache_dir.clone(), self.no_cache),
            interrupted: Arc::default(),
            max_file_size: self
                .max_file_size
                .unwrap_or(rechost::sink::split::DEFAULT_MAX_FILE_SIZE),
            previous: self
                .previous
                .as_deref()
                .map(rechost::diff::Snapshot::load)
                .transpose()?,
        })
    }
}

/// Where the datasets go.
enum Output {
    Local(LocalDir),
    S3(S3Dir),
}

impl Output {
    fn open(args: &RunArgs, out: &str) -> anyhow::Result<Self> {
        if out.starts_with("s3://") {
            let settings = S3Settings {
                endpoint: args.s3_endpoint.clone(),
                part_size: (args.s3_part_size_mib << 20) as usize,
            };
            Ok(Output::S3(S3Dir::connect(out, &settings)?))
        } else {
            Ok(Output::Local(LocalDir::new(out)))
        }
    }

    fn destination(&self) -> &dyn Destination {
        match self {
            Output::Local(dir) => dir,
            Output::S3(dir) => dir,
        }
    }

    fn bytes_uploaded(&self) -> Option<u64> {
        match self {
            Output::Local(_) => None,
            Output::S3(dir) => Some(dir.bytes_uploaded()),
        }
    }
}

/// The plugin, for jobs that only need its manifest (SQL generation): default limits.
fn load_manifest_only(args: &RunArgs) -> anyhow::Result<Plugin> {
    let engine = PluginEngine::new()?;
    let cache = super::cache_dir(args.cache_dir.clone(), args.no_cache);
    Ok(Plugin::load(
        &engine,
        &args.plugin,
        cache.as_deref(),
        Limits::default(),
    )?)
}

/// `--dry-run`: the SQL `--source snowflake` would run, from the plugin's manifest.
fn print_query(args: &RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.source == SourceKind::Snowflake,
        "--dry-run prints the warehouse query: use it with --source snowflake"
    );
    let plugin = load_manifest_only(args)?;
    let (_, query) =
        source::snowflake_query(&plugin.manifest, args.table.as_deref(), &args.window()?)?;
    super::print_sql(&query)?;
    Ok(ExitCode::SUCCESS)
}

/// `--pushdown`: the job as warehouse SQL, printed (--dry-run) or run on Snowflake.
fn pushdown(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let warehouse = match args.source {
        SourceKind::Snowflake => Warehouse::Snowflake,
        SourceKind::Databricks => Warehouse::Databricks,
        SourceKind::Files => {
            anyhow::bail!("--pushdown runs in a warehouse: add --source snowflake|databricks")
        }
    };
    anyhow::ensure!(
        args.input.is_none(),
        "--pushdown reads the warehouse table, not --input"
    );
    anyhow::ensure!(
        args.dry_run || warehouse == Warehouse::Snowflake,
        "rechost runs pushdown jobs on Snowflake; for Databricks, add --dry-run and run the SQL in a SQL warehouse or job"
    );
    let out = args
        .out
        .clone()
        .ok_or_else(|| anyhow::anyhow!("--pushdown needs --out (where the warehouse writes)"))?;
    let plugin = load_manifest_only(args)?;
    let manifest = &plugin.manifest;
    let plan = PushdownPlan {
        warehouse,
        manifest,
        table: rechost::sql::qualified_name(
            args.table.as_deref().unwrap_or(&manifest.source.table),
        )?,
        window: args.window()?,
        schema: args
            .udf_schema
            .as_deref()
            .map(rechost::sql::qualified_name)
            .transpose()?,
        out,
        storage_integration: args.storage_integration.clone(),
        buckets_per_day: args.buckets_per_day,
    };
    let script = warehouse::pushdown_sql(&plan)?;
    if args.dry_run {
        super::print_sql(&script)?;
        return Ok(ExitCode::SUCCESS);
    }
    let SourcePlan::Snowflake { connection, .. } = args.source()? else {
        unreachable!("checked above: Snowflake");
    };
    super::run_on_snowflake(&connection, &script, args.quiet)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    if args.pushdown {
        return pushdown(&args);
    }
    if args.dry_run {
        return print_query(&args);
    }
    let out = args
        .out
        .clone()
        .expect("clap requires --out without --dry-run");
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
    let output = Output::open(&args, &out)?;
    let bar = if args.quiet || args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {human_pos} rows  {per_sec}  {elapsed}  {msg}")
                .expect("valid template"),
        )
    };
    let on_progress = |p: Progress| {
        if let Some(total) = p.rows_total.filter(|&t| bar.length() != Some(t)) {
            bar.set_length(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {human_pos}/{human_len} rows  {per_sec}  eta {eta}  {msg}",
                )
                .expect("valid template"),
            );
        }
        bar.set_position(p.rows_read);
        if let Some(bytes) = output.bytes_uploaded() {
            bar.set_message(format!("{} uploaded", indicatif::HumanBytes(bytes)));
        }
    };
    let summary = pipeline::run(&plan, output.destination(), &on_progress);
    bar.finish_and_clear();
    let summary = match summary {
        Ok(summary) => summary,
        Err(RunError::Interrupted) => {
            eprintln!("interrupted; {out} was left unchanged");
            return Ok(ExitCode::from(130));
        }
        Err(e) if e.output_unchanged() => {
            let context = format!(
                "run of {} failed; {out} was left unchanged",
                plan.plugin.display(),
            );
            return Err(anyhow::Error::new(e).context(context));
        }
        Err(e) => {
            let context = format!("run of {} failed", plan.plugin.display());
            return Err(anyhow::Error::new(e).context(context));
        }
    };

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else if !args.quiet {
        write!(out, "{}", describe(&summary))?;
        if let Some(bytes) = output.bytes_uploaded() {
            writeln!(out, "uploaded   {}", indicatif::HumanBytes(bytes))?;
        }
    }
    if args.require_ready && !summary.readiness.ready {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(s: &RunSummary) -> String {
    let mut text = String::new();
    let mut line = |t: String| {
        text.push_str(&t);
        text.push('\n');
    };
    line(format!(
        "{} {} ({}), window {} to {}",
        s.plugin.name, s.plugin.version, s.plugin.domain, s.window.start, s.window.end
    ));
    line(format!(
        "input      {}, {} rows read, {} outside the window, {} transformed",
        s.source, s.rows_read, s.rows_outside_window, s.rows_transformed
    ));
    if s.dropped_rows.is_empty() {
        line("dropped    none".into());
    } else {
        for (i, (reason, rows)) in s.dropped_rows.iter().enumerate() {
            let label = if i == 0 { "dropped" } else { "" };
            line(format!("{label:<10} {rows} rows: {reason}"));
        }
    }
    line("datasets".into());
    let width = s.datasets.iter().map(|d| d.name.len()).max().unwrap_or(0);
    for d in &s.datasets {
        line(format!(
            "  {:<width$}  {:>10} rows  {}",
            d.name, d.rows_written, d.location
        ));
    }
    let r = &s.readiness;
    if let Some(i) = &r.interactions {
        let types: Vec<String> = i
            .per_event_type
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect();
        line(format!(
            "interactions {} ({}) from {} users, {} with >= 2; {} items",
            i.interactions,
            types.join(", "),
            i.distinct_users,
            i.users_with_at_least_2_interactions,
            i.distinct_items
        ));
    }
    if r.ready {
        line("readiness  READY: Personalize can import and train on these datasets".into());
    } else {
        line("readiness  NOT READY: Personalize would refuse these datasets".into());
    }
    for p in r.minimum.problems.iter().chain(&r.import_limits.problems) {
        line(format!("           - {p}"));
    }
    for w in &r.warnings {
        line(format!("           warning: {w}"));
    }
    if r.ready && !r.recommended.met {
        line(format!(
            "           below the recommended {}",
            r.recommended.requirement
        ));
    }
    if !r.recommenders.is_empty() {
        line("recommenders".into());
        for rec in &r.recommenders {
            let mark = if rec.met { "ok " } else { "-- " };
            line(format!(
                "  {mark}{:<36} {} (have {})",
                rec.name, rec.requirement, rec.have
            ));
        }
    }
    line(format!("report     {}", s.readiness_location));
    line(format!(
        "           {}",
        s.readiness_location.trim_end_matches(".json").to_string() + ".html"
    ));
    if !s.plugin_log.is_empty() {
        line(format!("plugin output:\n{}", s.plugin_log.trim_end()));
    }
    line(format!("done in {:.2} s", s.elapsed_seconds));
    text
}
