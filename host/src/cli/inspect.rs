use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use rechost::manifest::{Manifest, Reduction};
use rechost::plugin::{Limits, Plugin, PluginEngine};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The plugin component (.wasm).
    plugin: PathBuf,
    /// Print the manifest as JSON.
    #[arg(long)]
    json: bool,
    /// Folder for compiled plugins [default: $RECHOST_CACHE_DIR or the user cache folder].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile the plugin without reading or writing the cache.
    #[arg(long)]
    no_cache: bool,
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let engine = PluginEngine::new().map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let cache = super::cache_dir(args.cache_dir, args.no_cache);
    let plugin = Plugin::load(&engine, &args.plugin, cache.as_deref(), Limits::default())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &plugin.manifest)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", describe(&plugin.manifest, &plugin.sha256))
            .context("writing to stdout")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(m: &Manifest, sha256: &str) -> String {
    let mut s = String::new();
    let mut line = |text: String| {
        s.push_str(&text);
        s.push('\n');
    };
    line(format!("{} {} — {}", m.name, m.version, m.description));
    line(format!("domain      {}", m.domain));
    line(format!("sha256      {sha256}"));
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
            let of = r
                .event_type
                .as_deref()
                .map_or("interactions".to_string(), |t| {
                    format!("`{t}` interactions")
                });
            let items = if r.needs_items {
                " + Items dataset"
            } else {
                ""
            };
            line(format!(
                "  {:<36} >= {} {of}{items}",
                r.name, r.min_interactions
            ));
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
