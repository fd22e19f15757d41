//! `rechost check PLUGIN.wasm`: conformance before anything real runs.

use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::plugin_args::CacheArgs;
use rechost::conformance;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The plugin component (.wasm).
    plugin: PathBuf,
    /// Plugin option (repeatable), as `rechost run` takes them.
    #[arg(long = "option", short = 'o', value_name = "NAME=VALUE")]
    options: Vec<String>,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    cache: CacheArgs,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let findings = match args.cache.load(&args.plugin) {
        Ok(plugin) => {
            let options = plugin.manifest.resolve_options(&args.options)?;
            conformance::check(&plugin, &options)
        }
        Err(error) => vec![conformance::Finding {
            check: "load: component, contract and manifest".into(),
            passed: false,
            problem: format!("{error:#}"),
            hint: load_hint(&format!("{error:#}")).into(),
        }],
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &findings)?;
        writeln!(out)?;
    } else {
        for f in &findings {
            let mark = if f.passed { "ok  " } else { "FAIL" };
            writeln!(out, "{mark} {}", f.check)?;
            if !f.passed {
                writeln!(out, "     {}", f.problem)?;
                writeln!(out, "     hint: {}", f.hint)?;
            }
        }
        let failed = findings.iter().filter(|f| !f.passed).count();
        writeln!(out, "{} checks, {failed} failed", findings.len())?;
    }
    let passed = findings.iter().all(|f| f.passed);
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn load_hint(message: &str) -> &'static str {
    if message.contains("invalid manifest") {
        "fix the manifest field named above; docs/plugins.md lists the naming rules"
    } else if message.contains("core WebAssembly module") {
        "build a component (wasm32-wasip2, componentize-py, jco componentize)"
    } else if message.contains("imports") {
        "the plugin needs capabilities rechost never grants (see the message); rebuild it without them"
    } else {
        "see the message above and docs/plugins.md"
    }
}
