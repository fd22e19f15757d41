use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::plugin_args::CacheArgs;
use rechost::manifest::Reduction;
use rechost::plugin::Plugin;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The plugin component (.wasm).
    plugin: PathBuf,
    /// Print the manifest as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    cache: CacheArgs,
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let plugin = args.cache.load(&args.plugin)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &plugin.manifest)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", describe(&plugin)).context("writing to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(plugin: &Plugin) -> String {
    let m = &plugin.manifest;
    let mut s = String::new();
    let mut line = |text: String| {
        s.push_str(&text);
        s.push('\n');
    };
    line(format!("{} {} — {}", m.name, m.version, m.description));
    line(format!("domain      {}", m.domain));
    line(format!("sha256      {}", plugin.sha256));
    line(format!(
        "contract    rechost:plugin {}",
        plugin.contract.major_minor()
    ));
    line(format!(
        "source      table {} (window on {})",
        m.source.table, m.source.time_column
    ));
    for c in &m.source.columns {
        line(format!(
            "              {:<28} {}",
            c.name,
            c.data_type.name()
        ));
    }
    line("datasets".into());
    for d in &m.datasets {
        let reduction = match &d.reduction {
            Reduction::Events => "every row".to_string(),
            Reduction::Entity { key, latest_by, .. } => format!(
                "one row per {key}, latest by {}",
                latest_by
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        line(format!(
            "  {} ({}, {reduction})",
            d.name,
            d.kind.avro_record_name()
        ));
        for c in &d.columns {
            let mut flags = vec![c.data_type.name().to_string()];
            if c.nullable {
                flags.push("nullable".into());
            }
            if c.categorical {
                flags.push("categorical".into());
            }
            if let Some(role) = c.role {
                flags.push(format!("role {}", role.name()));
            }
            line(format!("              {:<28} {}", c.name, flags.join(", ")));
        }
    }
    if !m.recommenders.is_empty() {
        line("recommenders".into());
        for r in &m.recommenders {
            line(format!("  {:<36} {}", r.name, r.requirement()));
        }
    }
    if !m.options.is_empty() {
        line("options (--option NAME=VALUE)".into());
        for o in &m.options {
            line(format!(
                "  {} [default: {:?}]: {}",
                o.name, o.default_value, o.description
            ));
        }
    }
    s
}
