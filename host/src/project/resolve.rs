//! From the file as written to the resolved [`Project`]: `${VAR}` expanded, dbt variable
//! names applied, flags laid over the file, every value with its [`Origin`], and the
//! combinations checked that need no plugin (output kind vs warehouse, pushdown, sources).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dbt::{self, Assignment, Target};
use super::origin::{either, line_of};
use super::overrides::Overrides;
use super::raw::RawProject;
use super::reader::Reader;
use super::{
    Origin, OutputTarget, Project, ProjectError, Resolved, WarehouseKind, domain, secrets,
};

/// Reads and resolves the project file at `path`.
pub fn load(
    path: &Path,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Project, ProjectError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProjectError::Read {
        path: path.into(),
        source,
    })?;
    resolve(path, &text, overrides, env)
}

/// Resolves the project file `text` (read from `path`; relative paths in it are relative to
/// its folder).
pub fn resolve(
    path: &Path,
    text: &str,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Project, ProjectError> {
    let file: Arc<str> = path.display().to_string().into();
    let syntax = |e: toml::de::Error| ProjectError::Syntax {
        file: file.to_string(),
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        message: e.message().trim().replace('\n', "; "),
    };
    let document = toml::de::DeTable::parse(text).map_err(syntax)?;
    if let Some(found) = secrets::find(document.get_ref()) {
        return Err(ProjectError::Secret {
            file: file.to_string(),
            line: line_of(text, found.offset),
            key: found.key,
            what: found.what,
        });
    }
    let raw: RawProject = toml::from_str(text).map_err(syntax)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let reader = Reader::new(file, text, env, base);
    let vars = dbt::assignments(&raw.vars).map_err(|(at, m)| reader.invalid(at, m))?;
    let project = shared(&reader, &raw, &vars, overrides)?;
    check(&project)?;
    Ok(project)
}

fn shared(
    r: &Reader<'_>,
    raw: &RawProject,
    vars: &[Assignment],
    flags: &Overrides,
) -> Result<Project, ProjectError> {
    let warehouse = match flags.warehouse {
        Some(kind) => Resolved::new(kind, Origin::Flag("--source")),
        None => match &raw.warehouse.kind {
            Some(text) => r.text(text)?.try_map(|kind| {
                WarehouseKind::parse(&kind).ok_or_else(|| {
                    format!("warehouse.type `{kind}`: expected files, snowflake or databricks")
                })
            })?,
            None => Resolved::default(WarehouseKind::Files),
        },
    };
    let stage = r.dbt_text(vars, Target::OutputPath { prefix: "@" })?;
    let bucket = r.dbt_text(vars, Target::OutputPath { prefix: "" })?;
    let stage = stage.map(|s| s.map(|s| format!("@{}", s.trim_start_matches('@'))));
    let from_dbt = either("output.path", stage, bucket)?;
    let path = either("output.path", r.opt_text(&raw.output.path)?, from_dbt)?;
    let path = flag(flags.out.clone(), "--out").or(path);
    let shared_window = r.window(&raw.window, r.dbt_count(vars, Target::LookBack)?)?;
    let tables_to_export = dbt::find(vars, Target::Export)
        .map(|a| r.dbt_list(a))
        .transpose()?;
    let (domains, disabled) =
        domain::resolve_all(r, raw, vars, shared_window, flags, warehouse.value)?;
    if domains.is_empty() {
        return Err(ProjectError::NoDomain {
            file: r.file.to_string(),
        });
    }
    Ok(Project {
        file: PathBuf::from(&*r.file),
        connection: flag(flags.connection.clone(), "--connection")
            .or(r.opt_text(&raw.warehouse.connection)?),
        profile: r.opt_text(&raw.warehouse.profile)?,
        pushdown: match (flags.pushdown, &raw.warehouse.pushdown) {
            (true, _) => Resolved::new(true, Origin::Flag("--pushdown")),
            (false, Some(value)) => r.plain(value),
            (false, None) => Resolved::default(false),
        },
        udf_schema: flag(flags.udf_schema.clone(), "--udf-schema")
            .or(r.opt_text(&raw.warehouse.udf_schema)?),
        output: path.map(|p| p.map(|p| output_target(&p, &r.base))),
        s3_endpoint: flag(flags.s3_endpoint.clone(), "--s3-endpoint")
            .or(r.opt_text(&raw.output.s3_endpoint)?),
        storage_integration: flag(flags.storage_integration.clone(), "--storage-integration")
            .or(r.opt_text(&raw.output.storage_integration)?),
        warehouse,
        tables_to_export,
        domains,
        disabled,
    })
}

/// What needs no plugin: the output's kind against the warehouse and pushdown.
fn check(p: &Project) -> Result<(), ProjectError> {
    let invalid = |at: &Origin, message: String| ProjectError::Invalid {
        at: at.clone(),
        message,
    };
    let warehouse = p.warehouse.value;
    if p.pushdown.value && warehouse == WarehouseKind::Files {
        return Err(invalid(
            &p.pushdown.from,
            "pushdown runs in a warehouse: set warehouse.type to snowflake or databricks".into(),
        ));
    }
    if warehouse == WarehouseKind::Databricks && !p.pushdown.value {
        return Err(invalid(
            &p.warehouse.from,
            "Databricks tables are read in the warehouse: set warehouse.pushdown = true".into(),
        ));
    }
    if let Some(output) = &p.output {
        let needs = match &output.value {
            OutputTarget::SnowflakeStage(_) => Some(WarehouseKind::Snowflake),
            OutputTarget::DatabricksVolume(_) => Some(WarehouseKind::Databricks),
            _ => None,
        };
        if let Some(needs) = needs.filter(|n| !p.pushdown.value || *n != warehouse) {
            return Err(invalid(
                &output.from,
                format!(
                    "output.path `{}` is written by the warehouse: it needs warehouse.type = \"{}\" and pushdown = true",
                    output.value.as_out(),
                    needs.name()
                ),
            ));
        }
    }
    for (value, key, kind) in [
        (
            &p.connection,
            "warehouse.connection",
            WarehouseKind::Snowflake,
        ),
        (&p.profile, "warehouse.profile", WarehouseKind::Databricks),
    ] {
        if let Some(value) = value.as_ref().filter(|_| warehouse != kind) {
            return Err(invalid(
                &value.from,
                format!(
                    "{key} is used only with warehouse.type = \"{}\"",
                    kind.name()
                ),
            ));
        }
    }
    Ok(())
}

fn output_target(path: &str, base: &Path) -> OutputTarget {
    if path.starts_with("s3://") {
        OutputTarget::S3(path.to_string())
    } else if path.starts_with('@') {
        OutputTarget::SnowflakeStage(path.to_string())
    } else if path.starts_with("/Volumes/") {
        OutputTarget::DatabricksVolume(path.to_string())
    } else {
        OutputTarget::Local(base.join(path))
    }
}

fn flag<T>(value: Option<T>, name: &'static str) -> Option<Resolved<T>> {
    value.map(|v| Resolved::new(v, Origin::Flag(name)))
}
