//! The last check, once the plugins are loaded: each domain against its plugin's manifest
//! (sha256 pin, export list, options). A run consumes only [`LockedDomain`]s.

use serde::Serialize;

use super::{Domain, Origin, Project, ProjectError, Resolved};
use crate::manifest::Manifest;

/// A domain ready to run.
#[derive(Debug, Clone, Serialize)]
pub struct LockedDomain {
    #[serde(flatten)]
    pub domain: Domain,
    /// The plugin's sha256 as loaded.
    pub plugin_sha256: String,
    /// The datasets to write, in the manifest's order.
    pub datasets: Resolved<Vec<String>>,
    /// Every option of the plugin with its value.
    pub option_values: Vec<Resolved<(String, String)>>,
}

/// One loaded plugin: its manifest and the sha256 of its bytes.
pub struct LoadedPlugin<'a> {
    pub manifest: &'a Manifest,
    pub sha256: &'a str,
}

/// Locks every enabled domain; `plugins[i]` is the plugin of `project.domains[i]`.
pub fn lock(
    project: &Project,
    plugins: &[LoadedPlugin<'_>],
) -> Result<Vec<LockedDomain>, ProjectError> {
    assert_eq!(
        project.domains.len(),
        plugins.len(),
        "one plugin per domain"
    );
    if let Some(list) = &project.tables_to_export {
        check_tables_to_export(project, list, plugins)?;
    }
    (project.domains.iter().zip(plugins))
        .map(|(domain, plugin)| {
            if let Some(pin) = domain.sha256.as_ref().filter(|p| p.value != plugin.sha256) {
                return Err(ProjectError::PinMismatch {
                    domain: domain.name.clone(),
                    plugin: domain.plugin.value.clone(),
                    expected: pin.value.clone(),
                    actual: plugin.sha256.to_string(),
                    at: Box::new(pin.from.clone()),
                });
            }
            Ok(LockedDomain {
                domain: domain.clone(),
                plugin_sha256: plugin.sha256.to_string(),
                datasets: datasets(project, domain, plugin.manifest)?,
                option_values: options(domain, plugin.manifest)?,
            })
        })
        .collect()
}

fn dataset_names(manifest: &Manifest) -> String {
    let names: Vec<&str> = manifest.datasets.iter().map(|d| d.name.as_str()).collect();
    names.join(", ")
}

/// Every name of dbt's `tables_to_export` must belong to an enabled domain.
fn check_tables_to_export(
    project: &Project,
    list: &Resolved<Vec<String>>,
    plugins: &[LoadedPlugin<'_>],
) -> Result<(), ProjectError> {
    for domain in &project.domains {
        if let Some(own) = &domain.export {
            return Err(ProjectError::Conflict {
                key: format!("the export list of domain {}", domain.name),
                first: Box::new(own.from.clone()),
                second: Box::new(list.from.clone()),
            });
        }
    }
    let owned = |name: &String| {
        plugins
            .iter()
            .any(|p| p.manifest.datasets.iter().any(|d| &d.name == name))
    };
    if let Some(name) = list.value.iter().find(|n| !owned(n)) {
        let all: Vec<String> = plugins.iter().map(|p| dataset_names(p.manifest)).collect();
        return Err(ProjectError::Invalid {
            at: list.from.clone(),
            message: format!(
                "`{name}` is not a dataset of an enabled domain (their datasets: {})",
                all.join(", ")
            ),
        });
    }
    Ok(())
}

fn datasets(
    project: &Project,
    domain: &Domain,
    manifest: &Manifest,
) -> Result<Resolved<Vec<String>>, ProjectError> {
    let all = || manifest.datasets.iter().map(|d| d.name.clone());
    let Some(list) = domain.export.as_ref().or(project.tables_to_export.as_ref()) else {
        return Ok(Resolved::new(all().collect(), Origin::Default));
    };
    if domain.export.is_some()
        && let Some(name) = list.value.iter().find(|n| !all().any(|d| &d == *n))
    {
        return Err(ProjectError::Invalid {
            at: list.from.clone(),
            message: format!(
                "domains.{}.export: `{name}` is not a dataset of {} (its datasets: {})",
                domain.name,
                manifest.name,
                dataset_names(manifest)
            ),
        });
    }
    let chosen: Vec<String> = all().filter(|d| list.value.contains(d)).collect();
    if chosen.is_empty() {
        return Err(ProjectError::Invalid {
            at: list.from.clone(),
            message: format!(
                "lists no dataset of domain {} ({}): add one, or set enabled = false",
                domain.name,
                dataset_names(manifest)
            ),
        });
    }
    Ok(Resolved::new(chosen, list.from.clone()))
}

fn options(
    domain: &Domain,
    manifest: &Manifest,
) -> Result<Vec<Resolved<(String, String)>>, ProjectError> {
    if let Some(unknown) = domain
        .options
        .iter()
        .find(|o| !manifest.options.iter().any(|m| m.name == o.value.0))
    {
        let known: Vec<&str> = manifest.options.iter().map(|o| o.name.as_str()).collect();
        return Err(ProjectError::Invalid {
            at: unknown.from.clone(),
            message: format!(
                "domains.{}.options: `{}` is not an option of {} (its options: {})",
                domain.name,
                unknown.value.0,
                manifest.name,
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    Ok(manifest
        .options
        .iter()
        .map(|m| {
            domain
                .options
                .iter()
                .find(|o| o.value.0 == m.name)
                .cloned()
                .unwrap_or_else(|| {
                    Resolved::new((m.name.clone(), m.default_value.clone()), Origin::Manifest)
                })
        })
        .collect())
}
