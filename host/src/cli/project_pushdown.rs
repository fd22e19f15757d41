//! A project run that does not go through the host: each domain's warehouse query printed
//! (`--dry-run`), or each domain's job as warehouse SQL (`warehouse.pushdown`), printed or run
//! in the warehouse (Snowflake or Databricks) with its readiness report written beside its
//! datasets. Pushdown unloads only the exported datasets.

use std::process::ExitCode;

use super::project_file::{Loaded, date_window, snowflake_connection, table_of};
use super::pushdown_job::{self, ReportTarget};
use super::run::RunArgs;
use rechost::project::WarehouseKind;
use rechost::transform::Transformer;
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

/// Pushdown: each domain's job as warehouse SQL, printed (--dry-run) or run in the warehouse.
pub fn pushdown(args: &RunArgs, loaded: &Loaded) -> anyhow::Result<ExitCode> {
    let project = &loaded.project;
    let warehouse = match project.warehouse.value {
        WarehouseKind::Snowflake => Warehouse::Snowflake,
        WarehouseKind::Databricks => Warehouse::Databricks,
        WarehouseKind::Files => unreachable!("the project file check refuses pushdown on files"),
    };
    let out = (project.output.as_ref())
        .ok_or_else(|| {
            anyhow::anyhow!("pushdown needs output.path (or --out): where the warehouse writes")
        })?
        .value
        .as_out();
    let schema = (project.udf_schema.as_ref())
        .map(|s| warehouse.qualified_name("function schema", &s.value))
        .transpose()?;
    let mut plans = Vec::new();
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
            // Only the exported datasets are unloaded (tags stay the whole manifest's).
            exported: Some(&locked.datasets.value),
        };
        plans.push((locked.domain.name.clone(), plugin.info(), plan));
    }
    if args.dry_run {
        for (name, _, plan) in &plans {
            let script = warehouse::pushdown_sql(plan)?;
            super::print_sql(&format!("-- domain {name}\n{script}"))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let s3_endpoint = project.s3_endpoint.as_ref().map(|e| e.value.clone());
    let databricks = match warehouse {
        Warehouse::Databricks => {
            let profile = project.profile.as_ref().map(|p| p.value.as_str());
            let settings = super::databricks::settings(profile, args.warehouse_id.as_deref())?;
            Some(super::databricks::pushdown_client(&settings, args.quiet)?)
        }
        Warehouse::Snowflake => None,
    };
    let mut all_ready = true;
    for (name, info, plan) in &plans {
        let target = ReportTarget {
            info,
            s3_endpoint: s3_endpoint.clone(),
        };
        let report = match &databricks {
            Some(client) => pushdown_job::run_on_databricks(client, plan, &target),
            None => pushdown_job::run_on_snowflake(
                &snowflake_connection(project)?,
                plan,
                &target,
                args.quiet,
            ),
        }
        .map_err(|e| e.context(format!("domain {name}")))?;
        all_ready &= report.ready;
        if !args.quiet {
            let verdict = if report.ready { "READY" } else { "NOT READY" };
            println!("{name}  {verdict}: {}", plan.out.trim_end_matches('/'));
        }
    }
    if args.require_ready && !all_ready {
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}
