use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use super::plugin_args::CacheArgs;
use rechost::warehouse::snowflake::ConnectionSettings;
use rechost::warehouse::{self, RegisterPlan, Warehouse};

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The domain plugin component, e.g. target/wasm32-wasip2/release/ecommerce.wasm.
    plugin: PathBuf,
    /// The warehouse the functions are created in.
    #[arg(long)]
    target: Warehouse,
    /// Schema ([database.]schema, Databricks catalog.schema) of the functions
    /// rechost_<dataset> [default: the session's current schema].
    #[arg(long, value_name = "NAME")]
    udf_schema: Option<String>,
    /// Plugin option baked into the functions (repeatable).
    #[arg(long = "option", short = 'o', value_name = "NAME=VALUE")]
    options: Vec<String>,
    /// The Python runtime the functions install: a pip requirement, or on Databricks a wheel
    /// path in a volume (with --execute, a local .whl file is uploaded into --volume)
    /// [default: rechost-runtime==<this version>].
    #[arg(long, value_name = "REQUIREMENT|WHEEL")]
    runtime: Option<String>,
    /// Snowflake: internal stage the plugin is uploaded to.
    #[arg(long, value_name = "NAME", default_value = "rechost_plugins")]
    stage: String,
    /// Snowflake: Python version of the functions.
    #[arg(long, value_name = "X.Y", default_value = "3.11")]
    python_version: String,
    /// Databricks: Unity Catalog volume folder holding the plugin file.
    #[arg(
        long,
        value_name = "/Volumes/CATALOG/SCHEMA/VOLUME",
        required_if_eq("target", "databricks")
    )]
    volume: Option<String>,
    /// Run the statements (upload and create) instead of printing them (Databricks: the
    /// plugin, and a local --runtime wheel, are uploaded into --volume with the Files API).
    #[arg(long)]
    execute: bool,
    /// Databricks profile for --execute (see `rechost run --help`).
    #[arg(long, value_name = "NAME", requires = "execute")]
    profile: Option<String>,
    /// Databricks SQL warehouse id for --execute (see `rechost run --help`).
    #[arg(long, value_name = "ID", requires = "execute")]
    warehouse_id: Option<String>,
    /// Snowflake connection for --execute (see `rechost run --help`).
    #[arg(long, value_name = "NAME", requires = "execute")]
    connection: Option<String>,
    #[command(flatten)]
    cache: CacheArgs,
}

pub fn run(args: RegisterArgs) -> anyhow::Result<ExitCode> {
    let warehouse = args.target;
    let plugin = args.cache.load(&args.plugin)?;
    let options = plugin.manifest.resolve_options(&args.options)?;
    let schema = args
        .udf_schema
        .as_deref()
        .map(|schema| warehouse.qualified_name("function schema", schema))
        .transpose()?;
    let volume = args.volume.clone().unwrap_or_default();
    let mut runtime = args
        .runtime
        .clone()
        .unwrap_or_else(|| concat!("rechost-runtime==", env!("CARGO_PKG_VERSION")).into());
    // Databricks --execute: the plugin, and a local runtime wheel, go into the volume first.
    let mut uploads = Vec::new();
    if args.execute && warehouse == Warehouse::Databricks {
        let folder = volume.trim_end_matches('/');
        let name = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
        let wasm = name(&args.plugin).unwrap_or_default();
        uploads.push((args.plugin.clone(), format!("{folder}/{wasm}")));
        let wheel = PathBuf::from(&runtime);
        if runtime.ends_with(".whl")
            && wheel.is_file()
            && let Some(wheel_name) = name(&wheel)
        {
            runtime = format!("{folder}/{wheel_name}");
            uploads.push((wheel, runtime.clone()));
        }
    }
    let plan = RegisterPlan {
        warehouse,
        manifest: &plugin.manifest,
        sha256: &plugin.sha256,
        wasm_path: &args.plugin,
        schema,
        options: &options,
        runtime,
        stage: args.stage.clone(),
        python_version: args.python_version.clone(),
        volume,
    };
    let script = warehouse::register_sql(&plan)?;
    if !args.execute {
        super::print_sql(&script)?;
        return Ok(ExitCode::SUCCESS);
    }
    if warehouse == Warehouse::Databricks {
        let settings =
            super::databricks::settings(args.profile.as_deref(), args.warehouse_id.as_deref())?;
        super::databricks::register(&settings, &uploads, &script)?;
        return Ok(ExitCode::SUCCESS);
    }
    let settings = ConnectionSettings::from_environment(args.connection.as_deref())?;
    super::run_on_snowflake(&settings, &script, false)?;
    Ok(ExitCode::SUCCESS)
}
