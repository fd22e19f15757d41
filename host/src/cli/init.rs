//! `rechost init`: writes a commented project file (rechost.toml) to start from.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use rechost::project::{self, WarehouseKind};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where the rows come from: local files, or a Snowflake or Databricks warehouse.
    #[arg(long, value_enum, default_value_t = Warehouse::Files)]
    warehouse: Warehouse,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
    /// The file to write.
    #[arg(long, value_name = "FILE", default_value = project::DEFAULT_FILE)]
    config: PathBuf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Warehouse {
    Files,
    Snowflake,
    Databricks,
}

pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.warehouse {
        Warehouse::Files => WarehouseKind::Files,
        Warehouse::Snowflake => WarehouseKind::Snowflake,
        Warehouse::Databricks => WarehouseKind::Databricks,
    };
    let path = &args.config;
    anyhow::ensure!(
        args.force || !path.exists(),
        "{} already exists (--force replaces it)",
        path.display()
    );
    std::fs::write(path, project::template::render(kind))
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot write {}", path.display())))?;
    eprintln!(
        "wrote {}; edit it, check it with `rechost config`, run it with `rechost run`",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
