//! A project run that does not go through the host: each domain's warehouse query printed
//! (`--dry-run`), or each domain's job as warehouse SQL (`warehouse.pushdown`), printed or run
//! on Snowflake. Pushdown unloads only the exported datasets.

use std::process::ExitCode;

use super::project_file::{Loaded, date_window, snowflake_connection, table_of};
use super::run::RunArgs;
use rechost::project::WarehouseKind;
use rechost::warehouse::{self, PushdownPlan, Warehouse};

/// `--dry-run` without pushdown: each domain's warehouse query.
pub fn print_queries(loaded: &Loaded) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        loaded.project.warehouse.value == WarehouseKind::Snowflake,
        "--dry-run prints the warehouse queries: use it with warehouse.type = \"snowflake\" (or --source snowflake)"
    );
    for (locked, plugin) in &loaded.domains {
        let window = date_window(locked.domain.window.value)?;
        let (_, query) = warehouse::source_query(
            Warehouse::Snowflake,
            &plugin.manifest,
            table_of(locked),
            &window,
        )?;
        super::print_sql(&format!("-- domain {}\n{query}", locked.domain.name))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Pushdown: each domain's job as warehouse SQL, printed (--dry-run) or run on Snowflake.
pub fn pushdown(args: &RunArgs, loaded: &Loaded) -> anyhow::Result<ExitCode> {
    let project = &loaded.project;
    let warehouse = match project.warehouse.value {
        WarehouseKind::Snowflake => Warehouse::Snowflake,
        WarehouseKind::Databricks => Warehouse::Databricks,
        WarehouseKind::Files => unreachable!("the project file check refuses pushdown on files"),
    };
    anyhow::ensure!(
        args.dry_run || warehouse == Warehouse::Snowflake,
        "rechost runs pushdown jobs on Snowflake; for Databricks, add --dry-run and run the SQL in a SQL warehouse or job"
    );
    let out = (project.output.as_ref())
        .ok_or_else(|| {
            anyhow::anyhow!("pushdown needs output.path (or --out): where the warehouse writes")
        })?
        .value
        .as_out();
    let schema = (project.udf_schema.as_ref())
        .map(|s| warehouse.qualified_name("function schema", &s.value))
        .transpose()?;
    let mut scripts = Vec::new();
    for (locked, plugin) in &loaded.domains {
        let manifest = &plugin.manifest;
        let plan = PushdownPlan {
            warehouse,
            manifest,
            table: warehouse
                .qualified_name("table", table_of(locked).unwrap_or(&manifest.source.table))?,
            window: date_window(locked.domain.window.value)?,
            schema: schema.clone(),
            out: out.clone(),
            storage_integration: (project.storage_integration.as_ref()).map(|s| s.value.clone()),
            buckets_per_day: args.buckets_per_day,
            // Only the exported datasets are unloaded.
            exported: Some(&locked.datasets.value),
        };
        scripts.push((locked.domain.name.clone(), warehouse::pushdown_sql(&plan)?));
    }
    if args.dry_run {
        for (name, script) in &scripts {
            super::print_sql(&format!("-- domain {name}\n{script}"))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let connection = snowflake_connection(project)?;
    for (name, script) in &scripts {
        super::run_on_snowflake(&connection, script, args.quiet)
            .map_err(|e| e.context(format!("domain {name}")))?;
    }
    Ok(ExitCode::SUCCESS)
}
