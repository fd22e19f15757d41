//! `rechost run --pushdown` (the job as warehouse SQL, printed, or run with its readiness
//! report written beside the datasets) and
//! `rechost run --source snowflake|databricks --dry-run` (the source query, printed).

use std::process::ExitCode;

use super::pushdown_job::{self, ReportTarget};
use super::run::{RunArgs, SourceKind};
use rechost::transform::Transformer;
use rechost::warehouse::{self, PushdownPlan, Warehouse};

/// `--dry-run`: the SQL `--source snowflake|databricks` would run, from the plugin's manifest.
pub fn print_query(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let SourceKind::Warehouse(warehouse) = args.source_kind() else {
        anyhow::bail!(
            "--dry-run prints the warehouse query: use it with --source snowflake|databricks"
        )
    };
    let plugin = args.cache.load(args.plugin())?;
    let (_, query) = warehouse::source_query(
        warehouse,
        &plugin.manifest,
        args.table.as_deref(),
        &args.window()?,
    )?;
    super::print_sql(&query)?;
    Ok(ExitCode::SUCCESS)
}

/// `--pushdown`: the job as warehouse SQL, printed (--dry-run) or run in the warehouse.
pub fn pushdown(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let SourceKind::Warehouse(warehouse) = args.source_kind() else {
        anyhow::bail!("--pushdown runs in a warehouse: add --source snowflake|databricks")
    };
    anyhow::ensure!(
        args.input.is_none(),
        "--pushdown reads the warehouse table, not --input"
    );
    let out = args
        .out
        .clone()
        .ok_or_else(|| anyhow::anyhow!("--pushdown needs --out (where the warehouse writes)"))?;
    let plugin = args.cache.load(args.plugin())?;
    let manifest = &plugin.manifest;
    let plan = PushdownPlan {
        warehouse,
        manifest,
        table: warehouse.qualified_name(
            "table",
            args.table.as_deref().unwrap_or(&manifest.source.table),
        )?,
        window: args.window()?,
        schema: args
            .udf_schema
            .as_deref()
            .map(|schema| warehouse.qualified_name("function schema", schema))
            .transpose()?,
        out,
        storage_integration: args.storage_integration.clone(),
        buckets_per_day: args.buckets_per_day,
        exported: None,
    };
    let script = warehouse::pushdown_sql(&plan)?;
    if args.dry_run {
        super::print_sql(&script)?;
        return Ok(ExitCode::SUCCESS);
    }
    let target = ReportTarget {
        info: &plugin.info(),
        s3_endpoint: args.s3_endpoint.clone(),
    };
    let report = match warehouse {
        Warehouse::Snowflake => pushdown_job::run_on_snowflake(
            &args.snowflake_connection()?,
            &plan,
            &target,
            args.quiet,
        )?,
        Warehouse::Databricks => {
            let client =
                super::databricks::pushdown_client(&args.databricks_settings()?, args.quiet)?;
            pushdown_job::run_on_databricks(&client, &plan, &target)?
        }
    };
    if !args.quiet {
        let root = plan.out.trim_end_matches('/');
        for dataset in &manifest.datasets {
            let folder = format!("{root}/{}", dataset.name);
            match warehouse {
                Warehouse::Databricks => {
                    println!("wrote {folder}/csv/ (Personalize) and {folder}/parquet/")
                }
                Warehouse::Snowflake => println!("wrote {folder}/"),
            }
        }
        let key = rechost::run::readiness_key(&manifest.domain);
        let verdict = if report.ready { "READY" } else { "NOT READY" };
        println!("readiness  {verdict}: {root}/{key}");
    }
    if args.require_ready && !report.ready {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}
