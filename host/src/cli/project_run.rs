//! `rechost run` with no plugin: every enabled domain of the project file, one after the
//! other into the same output root, then one summary table and one exit code (the worst).
//! The run flags override the file.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rechost::plugin::Plugin;
use rechost::project::{self, DomainSource, LockedDomain, OutputTarget, Project, WarehouseKind};
use rechost::run::{self as host_run, Progress, RunError, RunPlan, RunSummary};
use rechost::sink::LocalDir;
use rechost::source::{FileInput, OpenSource};
use rechost::warehouse::snowflake::{ConnectionSettings, SnowflakeTable};

use super::output::Output;
use super::project_file::{self, Loaded, date_window, snowflake_connection};
use super::project_pushdown;
use super::project_table::{self, DomainOutcome, Status};
use super::run::RunArgs;

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.input.is_none() && args.table.is_none() && args.options.is_empty(),
        "--input, --table and --option name one plugin's source and options; in a project run set them per domain in the project file (domains.<name>.input, .table, .options)"
    );
    let path = project_file::file(args);
    anyhow::ensure!(
        args.config.is_some() || path.exists(),
        "no plugin given and no {} here: name a plugin (rechost run PLUGIN.wasm ...) or write a project file with `rechost init`",
        project::DEFAULT_FILE
    );
    let loaded =
        project_file::load_project(&path, &project_file::overrides(args), &args.load_options()?)?;
    if loaded.project.pushdown.value {
        return project_pushdown::pushdown(args, &loaded);
    }
    if args.dry_run {
        return project_pushdown::print_queries(&loaded);
    }
    run_domains(args, &loaded)
}

fn open_output(project: &Project, args: &RunArgs) -> anyhow::Result<(Output, String)> {
    let output = (project.output.as_ref()).ok_or_else(|| {
        anyhow::anyhow!(
            "no output: set output.path in {} or pass --out",
            project.file.display()
        )
    })?;
    let out = output.value.as_out();
    let opened = match &output.value {
        OutputTarget::Local(path) => Output::Local(LocalDir::open(path)?),
        OutputTarget::S3(url) => Output::s3(
            url,
            project.s3_endpoint.as_ref().map(|e| e.value.clone()),
            args.s3_part_size_mib,
        )?,
        OutputTarget::SnowflakeStage(_) | OutputTarget::DatabricksVolume(_) => {
            anyhow::bail!("{out} is written by the warehouse: set warehouse.pushdown = true")
        }
    };
    Ok((opened, out))
}

fn run_domains(args: &RunArgs, loaded: &Loaded) -> anyhow::Result<ExitCode> {
    let (output, out) = open_output(&loaded.project, args)?;
    let interrupted: Arc<AtomicBool> = Arc::default();
    let flag = interrupted.clone();
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("interrupted: stopping and cleaning up (press Ctrl-C again to exit now)");
    })?;
    let connection = match loaded.project.warehouse.value {
        WarehouseKind::Snowflake => Some(snowflake_connection(&loaded.project)?),
        _ => None,
    };
    let mut outcomes = Vec::new();
    for (locked, plugin) in &loaded.domains {
        let name = locked.domain.name.clone();
        let outcome = match run_domain(
            args,
            locked,
            plugin,
            connection.as_ref(),
            &output,
            &interrupted,
        ) {
            Ok(summary) if summary.readiness.ready => (Status::Ready, Some(summary), None),
            Ok(summary) => (Status::NotReady, Some(summary), None),
            Err(e) if interrupted.load(Ordering::SeqCst) => {
                (Status::Interrupted, None, Some(format!("{e:#}")))
            }
            Err(e) => (Status::Failed, None, Some(format!("{e:#}"))),
        };
        outcomes.push(DomainOutcome {
            domain: name,
            status: outcome.0,
            summary: outcome.1,
            error: outcome.2,
        });
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
    }
    let uploaded = output.bytes_uploaded();
    project_table::report(&outcomes, &out, args.json, args.quiet, uploaded)?;
    let worst = outcomes
        .iter()
        .map(|o| o.status)
        .max()
        .unwrap_or(Status::Ready);
    Ok(ExitCode::from(worst.exit_code(args.require_ready)))
}

fn run_domain(
    args: &RunArgs,
    locked: &LockedDomain,
    plugin: &Plugin,
    connection: Option<&ConnectionSettings>,
    output: &Output,
    interrupted: &Arc<AtomicBool>,
) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let source: Box<dyn OpenSource> = match (&locked.domain.source.value, connection) {
        (DomainSource::Files(input), _) => Box::new(FileInput {
            input: input.clone(),
            exclude: output.local_root().map(Into::into),
        }),
        (DomainSource::Table(table), Some(connection)) => Box::new(SnowflakeTable {
            connection: Box::new(connection.clone()),
            table: table.clone(),
        }),
        (DomainSource::Table(_), None) => unreachable!("tables are read only from Snowflake here"),
    };
    let plan = RunPlan {
        plugin: locked.domain.plugin.value.clone(),
        source,
        window: date_window(locked.domain.window.value)?,
        options: (locked.option_values.iter())
            .map(|o| format!("{}={}", o.value.0, o.value.1))
            .collect(),
        batch_rows: args.batch_rows as usize,
        workers: args.workers(),
        load: args.load_options()?,
        allow_empty: args.allow_empty,
        export: Some(
            locked
                .datasets
                .value
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>(),
        ),
        interrupted: interrupted.clone(),
        max_file_size: (args.max_file_size).unwrap_or(rechost::sink::split::DEFAULT_MAX_FILE_SIZE),
        // A project run writes several domains; a previous run is compared one domain at a time.
        previous: None,
        memory_budget: args.memory_budget(),
    };
    let options = plugin
        .manifest
        .resolve_options(&plan.options)
        .map_err(RunError::from)?;
    let bar = progress_bar(args, &locked.domain.name);
    let on_progress = |p: Progress| {
        if let Some(total) = p.rows_total {
            bar.set_length(total);
        }
        bar.set_position(p.rows_read);
    };
    let summary = host_run::run_transform(
        &plan,
        plugin,
        &options,
        output.destination(),
        &on_progress,
        started,
    );
    bar.finish_and_clear();
    summary.map_err(|e| {
        let unchanged = if e.output_unchanged() {
            "; its datasets were left unchanged"
        } else {
            ""
        };
        anyhow::Error::new(e).context(format!("domain {} failed{unchanged}", locked.domain.name))
    })
}

fn progress_bar(args: &RunArgs, domain: &str) -> ProgressBar {
    if args.quiet || args.json {
        return ProgressBar::hidden();
    }
    ProgressBar::new_spinner()
        .with_style(
            ProgressStyle::with_template("{spinner} {msg} {human_pos} rows  {per_sec}  {elapsed}")
                .expect("valid template"),
        )
        .with_message(domain.to_string())
}
