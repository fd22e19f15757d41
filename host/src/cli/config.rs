//! `rechost config`: what the project file resolves to, every value with its origin.

use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::plugin_args::CacheArgs;
use super::project_file::load_project;
use rechost::plugin::LoadOptions;
use rechost::project::{
    self, DomainSource, LockedDomain, OutputTarget, Overrides, Project, Resolved, WindowSpec,
};

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The project file [default: ./rechost.toml].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the resolved configuration as JSON (every value as {"value", "from"}).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    cache: CacheArgs,
}

/// Prints what the project file resolves to, every value with where it came from. Loads the
/// plugins, so the export lists and options are checked as a run would check them.
pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    let path = args.config.unwrap_or_else(|| project::DEFAULT_FILE.into());
    let load = LoadOptions {
        cache_dir: args.cache.dir(),
        ..LoadOptions::default()
    };
    let loaded = load_project(&path, &Overrides::default(), &load)?;
    let project = loaded.project;
    let locked: Vec<LockedDomain> = loaded.domains.into_iter().map(|(l, _)| l).collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut json = serde_json::to_value(&project)?;
        json["domains"] = serde_json::to_value(&locked)?;
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", describe(&project, &locked))?;
    }
    Ok(ExitCode::SUCCESS)
}

type Row = (String, String, String);

fn row<T>(key: &str, value: &Resolved<T>, show: impl FnOnce(&T) -> String) -> Row {
    (
        key.to_string(),
        show(&value.value),
        format!("from {}", value.from),
    )
}

fn opt_row(key: &str, value: &Option<Resolved<String>>) -> Row {
    match value {
        Some(v) => row(key, v, String::clone),
        None => (key.into(), "-".into(), "not set".into()),
    }
}

fn window(spec: &WindowSpec) -> String {
    match spec {
        WindowSpec::Dates { start, end } => format!("{start} to {end}"),
        WindowSpec::LookBackDays(n) => format!("last {n} days"),
    }
}

fn describe(p: &Project, locked: &[LockedDomain]) -> String {
    let output = match &p.output {
        Some(o) => row("output.path", o, |o| match o {
            OutputTarget::Local(path) => format!("{} (local)", path.display()),
            OutputTarget::S3(url) => format!("{url} (S3)"),
            OutputTarget::SnowflakeStage(s) => format!("{s} (Snowflake stage)"),
            OutputTarget::DatabricksVolume(v) => format!("{v} (Databricks volume)"),
        }),
        None => ("output.path".into(), "-".into(), "not set".into()),
    };
    let mut rows = vec![
        row("warehouse.type", &p.warehouse, |w| w.name().into()),
        opt_row("warehouse.connection", &p.connection),
        opt_row("warehouse.profile", &p.profile),
        row("warehouse.pushdown", &p.pushdown, bool::to_string),
        opt_row("warehouse.udf_schema", &p.udf_schema),
        output,
        opt_row("output.s3_endpoint", &p.s3_endpoint),
        opt_row("output.storage_integration", &p.storage_integration),
    ];
    for d in locked {
        let key = |k: &str| format!("domains.{}.{k}", d.domain.name);
        rows.push(row(&key("plugin"), &d.domain.plugin, |p| {
            p.display().to_string()
        }));
        rows.push(match &d.domain.sha256 {
            Some(pin) => row(&key("sha256"), pin, |s| format!("{s} (matches)")),
            None => (key("sha256"), d.plugin_sha256.clone(), "not pinned".into()),
        });
        rows.push(row(&key("source"), &d.domain.source, |s| match s {
            DomainSource::Files(input) => format!("files {input}"),
            DomainSource::Table(Some(t)) => format!("table {t}"),
            DomainSource::Table(None) => "the plugin's table".into(),
        }));
        rows.push(row(&key("window"), &d.domain.window, window));
        rows.push(row(&key("export"), &d.datasets, |names| names.join(", ")));
        for option in &d.option_values {
            rows.push(row(
                &key(&format!("options.{}", option.value.0)),
                option,
                |o| format!("{:?}", o.1),
            ));
        }
    }
    for name in &p.disabled {
        rows.push((
            format!("domains.{}", name.value),
            "disabled".into(),
            format!("from {}", name.from),
        ));
    }
    let key_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    // Long values (export lists, paths) are not padded: they would push every origin away.
    let value_width = rows
        .iter()
        .map(|r| r.1.len())
        .filter(|&w| w <= 40)
        .max()
        .unwrap_or(0);
    let mut text = format!("project {}\n", p.file.display());
    for (key, value, from) in rows {
        text.push_str(&format!(
            "{key:<key_width$}  {value:<value_width$}  {from}\n"
        ));
    }
    text
}
