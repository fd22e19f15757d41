//! `rechost validate`: Personalize's import rules over datasets already written.

use clap::Args;
use std::io::Write;
use std::process::ExitCode;

use rechost::validate::{Severity, Validation, validate_path};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A dataset folder (schema.avsc + CSV parts) or a folder of them, e.g. a `rechost run`
    /// --out; local or s3://bucket/prefix (credentials from the standard AWS chain).
    #[arg(value_name = "PATH|S3_URL")]
    path: String,
    /// S3-compatible endpoint URL (path-style addressing).
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Exit 0 when every dataset would import, 1 when an import job would fail.
pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let s3 = rechost::sink::s3::S3Settings {
        endpoint: args.s3_endpoint.clone(),
        ..Default::default()
    };
    let validation = validate_path(&args.path, &s3)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &validation)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", describe(&validation))?;
    }
    Ok(if validation.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn describe(v: &Validation) -> String {
    let mut text = String::new();
    for d in &v.datasets {
        text.push_str(&format!(
            "{}  {:?}, {} rows in {} CSV file(s), {} bytes: import as {} from {}\n",
            d.folder,
            d.kind,
            d.rows,
            d.parts.len(),
            d.import_fit.csv_bytes,
            d.import_fit.modes(),
            d.import_fit.import_from
        ));
    }
    for p in &v.problems {
        let severity = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = p.line.map_or(p.file.clone(), |l| format!("{}:{l}", p.file));
        text.push_str(&format!("{severity}: {at}: {}\n", p.message));
    }
    text.push_str(if v.ok {
        "ok: Personalize would import these datasets\n"
    } else {
        "FAILED: a Personalize import job would fail on these datasets\n"
    });
    text
}
