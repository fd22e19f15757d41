//! The project file (rechost.toml) as the commands load it: resolved with the run flags as
//! overrides, every enabled domain's plugin loaded and locked against it. Shared by
//! `rechost config`, project runs and project pushdown.

use std::path::{Path, PathBuf};

use super::run::{RunArgs, SourceKind};
use rechost::plugin::{LoadOptions, Plugin};
use rechost::project::lock::LoadedPlugin;
use rechost::project::{
    self, DomainSource, LockedDomain, Overrides, Project, WarehouseKind, WindowSpec,
};
use rechost::warehouse::Warehouse;
use rechost::warehouse::snowflake::ConnectionSettings;
use rechost::window::DateWindow;

/// The project file and its plugins, loaded and locked.
pub struct Loaded {
    pub project: Project,
    pub domains: Vec<(LockedDomain, Plugin)>,
}

/// Reads and resolves the project file, loads every enabled domain's plugin and locks them.
pub fn load_project(
    path: &Path,
    overrides: &Overrides,
    load: &LoadOptions,
) -> anyhow::Result<Loaded> {
    let env = |key: &str| std::env::var(key).ok();
    let project = project::load(path, overrides, &env)?;
    let plugins = (project.domains.iter())
        .map(|d| {
            Plugin::load(&d.plugin.value, load)
                .map_err(|e| anyhow::Error::new(e).context(format!("domain {}", d.name)))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let loaded: Vec<LoadedPlugin<'_>> = (plugins.iter())
        .map(|p| LoadedPlugin {
            manifest: &p.manifest,
            sha256: &p.sha256,
        })
        .collect();
    let locked = project::lock(&project, &loaded)?;
    Ok(Loaded {
        project,
        domains: locked.into_iter().zip(plugins).collect(),
    })
}

/// The project file a plugin-less `rechost run` names (`--config`, else ./rechost.toml).
pub fn file(args: &RunArgs) -> PathBuf {
    args.config
        .clone()
        .unwrap_or_else(|| PathBuf::from(project::DEFAULT_FILE))
}

/// The run flags that override the project file's settings.
pub fn overrides(args: &RunArgs) -> Overrides {
    let window = match (args.start_date, args.end_date, args.look_back_days) {
        (Some(start), Some(end), _) => Some((WindowSpec::Dates { start, end }, "--start-date")),
        (_, _, Some(days)) => Some((WindowSpec::LookBackDays(days), "--look-back-days")),
        _ => None,
    };
    Overrides {
        warehouse: args.source.map(|kind| match kind {
            SourceKind::Files => WarehouseKind::Files,
            SourceKind::Warehouse(Warehouse::Snowflake) => WarehouseKind::Snowflake,
            SourceKind::Warehouse(Warehouse::Databricks) => WarehouseKind::Databricks,
        }),
        connection: args.connection.clone(),
        pushdown: args.pushdown,
        udf_schema: args.udf_schema.clone(),
        out: args.out.clone(),
        s3_endpoint: args.s3_endpoint.clone(),
        storage_integration: args.storage_integration.clone(),
        window,
    }
}

pub fn date_window(spec: WindowSpec) -> anyhow::Result<DateWindow> {
    Ok(match spec {
        WindowSpec::Dates { start, end } => DateWindow::between(start, end)?,
        WindowSpec::LookBackDays(days) => {
            DateWindow::look_back(days, chrono::Utc::now().date_naive())?
        }
    })
}

/// The warehouse table a domain names (`None`: its plugin's table, or a files domain).
pub fn table_of(locked: &LockedDomain) -> Option<&str> {
    match &locked.domain.source.value {
        DomainSource::Table(table) => table.as_deref(),
        DomainSource::Files(_) => None,
    }
}

pub fn snowflake_connection(project: &Project) -> anyhow::Result<ConnectionSettings> {
    let name = project.connection.as_ref().map(|c| c.value.as_str());
    Ok(ConnectionSettings::from_environment(name)?)
}
