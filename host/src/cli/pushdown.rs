//! `rechost run --pushdown` (the job as warehouse SQL, printed or run) and
//! `rechost run --source snowflake|databricks --dry-run` (the source query, printed).

use std::process::ExitCode;

use super::run::{RunArgs, SourceKind};
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

/// `--pushdown`: the job as warehouse SQL, printed (--dry-run) or run on Snowflake.
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
    match warehouse {
        Warehouse::Snowflake => {
            super::run_on_snowflake(&args.snowflake_connection()?, &script, args.quiet)?
        }
        Warehouse::Databricks => {
            super::databricks::run_pushdown(&args.databricks_settings()?, &script, args.quiet)?;
            if !args.quiet {
                for dataset in &manifest.datasets {
                    let folder = format!("{}/{}", plan.out.trim_end_matches('/'), dataset.name);
                    println!("wrote {folder}/csv/ (Personalize) and {folder}/parquet/");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
