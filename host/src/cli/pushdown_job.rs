//! A pushdown run carried out: the script run by the warehouse, the readiness statistics
//! computed there over the datasets just written, and the readiness report (JSON and HTML)
//! written beside them, as a local run writes it.
//!
//! Databricks writes the datasets into a hidden staging folder of `--out` and copies them
//! into place only once every statement succeeded; a failed or cancelled run removes the
//! staging folder, so `--out` shows nothing new. Snowflake runs its script in one session and
//! reads the statistics from the temporary tables the datasets were unloaded from.

use std::collections::BTreeMap;

use rechost::readiness::ReadinessReport;
use rechost::readiness::html::{self, Provenance};
use rechost::transform::PluginInfo;
use rechost::warehouse::databricks::Databricks;
use rechost::warehouse::readiness;
use rechost::warehouse::snowflake::{ConnectionSettings, Snowflake};
use rechost::warehouse::{self, PushdownPlan};

use super::output::Output;

/// What the report files say produced the datasets, and where they go.
pub struct ReportTarget<'a> {
    pub info: &'a PluginInfo,
    pub s3_endpoint: Option<String>,
}

/// A run id for the staging folder: unique enough for runs of one output at a time.
fn run_id() -> String {
    format!(
        "{}-{:08x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        fastrand::u32(..)
    )
}

/// `plan` run on Databricks with its datasets staged, then the report written.
pub fn run_on_databricks(
    client: &Databricks,
    plan: &PushdownPlan<'_>,
    target: &ReportTarget<'_>,
) -> anyhow::Result<ReadinessReport> {
    let out = plan.out.trim_end_matches('/').to_string();
    let staging = warehouse::staging_location(&out, &run_id());
    let outcome = stage_and_publish(client, plan, &staging, &out);
    let endpoint = target.s3_endpoint.clone();
    let cleanup = match &outcome {
        Ok(_) => remove_folder(client, &staging, endpoint).map(drop),
        Err(_) => remove_after_failure(client, &staging, endpoint),
    };
    let report = match (outcome, cleanup) {
        (Ok(report), Ok(())) => report,
        (Err(error), Ok(())) => return Err(error),
        // The datasets are in place: the leftover is named, the report still written.
        (Ok(report), Err(cleanup)) => {
            eprintln!("warning: {cleanup:#}");
            report
        }
        (Err(error), Err(cleanup)) => anyhow::bail!("{error:#} (and {cleanup:#})"),
    };
    write_reports(target, plan, &report, &mut |name, bytes| {
        write_databricks_file(client, &out, name, bytes, target.s3_endpoint.clone())
    })?;
    Ok(report)
}

/// The script into `staging`, the statistics over it, then the datasets copied into place.
fn stage_and_publish(
    client: &Databricks,
    plan: &PushdownPlan<'_>,
    staging: &str,
    out: &str,
) -> anyhow::Result<ReadinessReport> {
    let staged = PushdownPlan {
        out: staging.to_string(),
        storage_integration: None,
        manifest: plan.manifest,
        table: plan.table.clone(),
        window: plan.window,
        schema: plan.schema.clone(),
        warehouse: plan.warehouse,
        buckets_per_day: plan.buckets_per_day,
        exported: plan.exported,
    };
    let script = warehouse::pushdown_sql(&staged)?;
    client.execute(&super::databricks::compound(&script))?;
    let exported = plan.exported_manifest();
    let report = readiness::databricks_aggregates(client, &exported, staging)?
        .report(&exported, BTreeMap::new());
    let publish = warehouse::publish_sql(&exported, staging, out)?;
    client.execute(&super::databricks::compound(&publish))?;
    Ok(report)
}

/// After a failed or cancelled script the warehouse may still be stopping its tasks, which
/// write (or clean up) files for a while after the statement ended: the staging folder is
/// removed every 2 s until it stayed absent three times in a row (at most a minute).
fn remove_after_failure(
    client: &Databricks,
    folder: &str,
    s3_endpoint: Option<String>,
) -> anyhow::Result<()> {
    let mut absent = 0;
    for _ in 0..30 {
        absent = match remove_folder(client, folder, s3_endpoint.clone())? {
            true => 0,
            false => absent + 1,
        };
        if absent == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    Ok(())
}

/// Removes a folder the warehouse wrote (whether there was one): in a volume through the Files API, on S3 through
/// the S3 client, on a local path directly. Other storage (`dbfs:`, `abfss://`, ...) is named
/// in the error for the user to remove.
fn remove_folder(
    client: &Databricks,
    folder: &str,
    s3_endpoint: Option<String>,
) -> anyhow::Result<bool> {
    let failed = |e: &dyn std::fmt::Display| {
        anyhow::anyhow!("cannot remove the staging folder {folder} ({e}); remove it by hand")
    };
    if folder.starts_with("/Volumes/") {
        return client.remove_folder(folder).map_err(|e| failed(&e));
    }
    if folder.starts_with("s3://") {
        let Output::S3(dir) = Output::s3(folder, s3_endpoint, 8).map_err(|e| failed(&e))? else {
            unreachable!("an s3:// output is S3")
        };
        use rechost::sink::Destination;
        let keys = dir.list("").map_err(|e| failed(&e))?;
        for key in &keys {
            dir.remove(key).map_err(|e| failed(&e))?;
        }
        return Ok(!keys.is_empty());
    }
    if folder.contains(':') {
        return Err(failed(&"rechost cannot delete on this storage"));
    }
    match std::fs::remove_dir_all(folder) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(failed(&e)),
    }
}

/// One report file into a Databricks output: a volume, S3 or a local folder.
fn write_databricks_file(
    client: &Databricks,
    out: &str,
    name: &str,
    bytes: Vec<u8>,
    s3_endpoint: Option<String>,
) -> anyhow::Result<()> {
    if out.starts_with("/Volumes/") {
        client.upload_bytes(bytes, &format!("{out}/{name}"), true)?;
        return Ok(());
    }
    anyhow::ensure!(
        out.starts_with("s3://") || !out.contains(':'),
        "cannot write the readiness report to {out}: rechost writes to /Volumes/..., s3://... or a local folder"
    );
    let output = Output::open(out, s3_endpoint, 8)?;
    let staged = rechost::sink::stage_bytes(output.destination(), name, &bytes)?;
    staged.commit()?;
    Ok(())
}

/// `plan` run on Snowflake in one session, the statistics read from its temporary tables,
/// then the report unloaded beside the datasets.
pub fn run_on_snowflake(
    connection: &ConnectionSettings,
    plan: &PushdownPlan<'_>,
    target: &ReportTarget<'_>,
    quiet: bool,
) -> anyhow::Result<ReadinessReport> {
    let script = warehouse::pushdown_sql(plan)?;
    let session = Snowflake::connect(connection)?;
    warehouse::run_script(&session, &script, &mut |first_line| {
        if !quiet {
            eprintln!("ok  {first_line}");
        }
    })?;
    let exported = plan.exported_manifest();
    let report =
        readiness::snowflake_aggregates(session, &exported)?.report(&exported, BTreeMap::new());
    let writer = Snowflake::connect(connection)?;
    write_reports(target, plan, &report, &mut |name, bytes| {
        let text = String::from_utf8(bytes).expect("reports are UTF-8");
        let sql = warehouse::write_file_sql(
            plan.manifest,
            &plan.out,
            name,
            &text,
            plan.storage_integration.as_deref(),
        )?;
        writer.execute(&sql)?;
        Ok(())
    })?;
    Ok(report)
}

/// The HTML page, then the JSON (which marks a finished run), through `write`.
fn write_reports(
    target: &ReportTarget<'_>,
    plan: &PushdownPlan<'_>,
    report: &ReadinessReport,
    write: &mut dyn FnMut(&str, Vec<u8>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let provenance = Provenance {
        plugin_name: &target.info.name,
        plugin_version: &target.info.version,
        plugin_sha256: &target.info.sha256,
        window: &plan.window,
    };
    let page = html::render(report, &provenance, None)?;
    write(&html::html_key(&target.info.domain), page.into_bytes())?;
    let json = rechost::run::readiness_json(target.info, &plan.window, report);
    write(&rechost::run::readiness_key(&target.info.domain), json)?;
    Ok(())
}
