//! One `[domains.<name>]` table, resolved: plugin, pin, export list, source, window, options.

use std::collections::BTreeSet;
use toml::Spanned;

use super::dbt::{self, Assignment, DomainKey, Target};
use super::origin::either;
use super::overrides::Overrides;
use super::raw::{RawDomain, RawProject};
use super::reader::Reader;
use super::{Domain, DomainSource, Origin, ProjectError, Resolved, WarehouseKind, WindowSpec};

/// The enabled domains, and the names of the disabled ones.
pub(super) fn resolve_all(
    r: &Reader<'_>,
    raw: &RawProject,
    vars: &[Assignment],
    shared_window: Option<Resolved<WindowSpec>>,
    flags: &Overrides,
    warehouse: WarehouseKind,
) -> Result<(Vec<Domain>, Vec<Resolved<String>>), ProjectError> {
    for a in vars {
        if let Target::Domain(name, _) = a.var.target
            && !raw.domains.contains_key(name)
        {
            return Err(r.invalid(
                a.value.span().start,
                format!(
                    "dbt variable {} configures domain `{name}`, which the file does not declare (add [domains.{name}])",
                    a.var.name
                ),
            ));
        }
    }
    let fallback = match &flags.window {
        Some((spec, flag)) => Resolved::new(*spec, Origin::Flag(flag)),
        None => shared_window.unwrap_or_else(Reader::default_window),
    };
    let mut domains = Vec::new();
    let mut disabled = Vec::new();
    for (name, table) in &raw.domains {
        let enabled = table.get_ref().enabled.as_ref().map(|e| r.plain(e));
        if let Some(off) = enabled.filter(|e| !e.value) {
            disabled.push(Resolved::new(name.clone(), off.from));
            continue;
        }
        let context = Context {
            r,
            name,
            vars,
            warehouse,
        };
        let mut domain = context.resolve(table)?;
        domain.window = match &flags.window {
            Some(_) => fallback.clone(),
            None => context
                .window(table.get_ref())?
                .unwrap_or_else(|| fallback.clone()),
        };
        domains.push(domain);
    }
    Ok((domains, disabled))
}

struct Context<'a> {
    r: &'a Reader<'a>,
    name: &'a str,
    vars: &'a [Assignment],
    warehouse: WarehouseKind,
}

impl Context<'_> {
    fn key(&self, key: &str) -> String {
        format!("domains.{}.{key}", self.name)
    }

    fn dbt(&self, key: DomainKey) -> Target {
        // The table names only the domains the dbt package has.
        let domain = dbt::DBT_VARIABLES
            .iter()
            .find_map(|v| match v.target {
                Target::Domain(d, _) if d == self.name => Some(d),
                _ => None,
            })
            .unwrap_or("");
        Target::Domain(domain, key)
    }

    fn resolve(&self, table: &Spanned<RawDomain>) -> Result<Domain, ProjectError> {
        let r = self.r;
        let d = table.get_ref();
        let plugin = d.plugin.as_ref().ok_or_else(|| {
            r.invalid(
                table.span().start,
                format!(
                    "[domains.{}] needs plugin = \"path/to/plugin.wasm\"",
                    self.name
                ),
            )
        })?;
        let plugin = r.text(plugin)?.map(|p| r.base.join(p));
        let sha256 = r
            .opt_text(&d.sha256)?
            .map(|s| s.map(|s| s.to_ascii_lowercase()));
        if let Some(pin) = sha256
            .as_ref()
            .filter(|s| s.value.len() != 64 || !s.value.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(ProjectError::Invalid {
                at: pin.from.clone(),
                message: format!(
                    "{}: expected 64 hex digits (sha256sum of the plugin)",
                    self.key("sha256")
                ),
            });
        }
        Ok(Domain {
            name: self.name.to_string(),
            plugin,
            sha256,
            export: self.export(d)?,
            source: self.source(table)?,
            window: Reader::default_window(),
            options: self.options(d)?,
        })
    }

    fn export(&self, d: &RawDomain) -> Result<Option<Resolved<Vec<String>>>, ProjectError> {
        let Some(list) = &d.export else {
            return Ok(None);
        };
        let at = self.r.at(list.span().start);
        let mut names = Vec::new();
        let mut seen = BTreeSet::new();
        for item in list.get_ref() {
            let name = self.r.text(item)?;
            if !seen.insert(name.value.clone()) {
                return Err(ProjectError::Invalid {
                    at: name.from,
                    message: format!("{}: `{}` is listed twice", self.key("export"), name.value),
                });
            }
            names.push(name.value);
        }
        if names.is_empty() {
            return Err(ProjectError::Invalid {
                at,
                message: format!(
                    "{} is empty: list a dataset, or set enabled = false",
                    self.key("export")
                ),
            });
        }
        Ok(Some(Resolved::new(names, at)))
    }

    fn source(&self, table: &Spanned<RawDomain>) -> Result<Resolved<DomainSource>, ProjectError> {
        let r = self.r;
        let d = table.get_ref();
        let input = r.opt_text(&d.input)?;
        let name = either(
            &self.key("table"),
            r.opt_text(&d.table)?,
            r.dbt_text(self.vars, self.dbt(DomainKey::Table))?,
        )?;
        let invalid = |at: Origin, message: String| Err(ProjectError::Invalid { at, message });
        match (self.warehouse, input, name) {
            (WarehouseKind::Files, Some(input), None) => {
                let path = r.base.join(&input.value).display().to_string();
                Ok(Resolved::new(DomainSource::Files(path), input.from))
            }
            (WarehouseKind::Files, None, _) => invalid(
                r.at(table.span().start),
                format!(
                    "{} is required with warehouse.type = files (a file, folder or glob)",
                    self.key("input")
                ),
            ),
            (WarehouseKind::Files, Some(_), Some(name)) => invalid(
                name.from,
                format!(
                    "{} reads a warehouse; with warehouse.type = files use input only",
                    self.key("table")
                ),
            ),
            (_, Some(input), _) => invalid(
                input.from,
                format!(
                    "{} reads files; the warehouse is read with table (or the plugin's own table)",
                    self.key("input")
                ),
            ),
            (_, None, Some(name)) if name.value.contains("{{") => invalid(
                name.from,
                "a dbt source() expression: write the table as [database.]schema.table".into(),
            ),
            (_, None, Some(name)) => Ok(name.map(|n| DomainSource::Table(Some(n)))),
            (_, None, None) => Ok(Resolved::default(DomainSource::Table(None))),
        }
    }

    fn window(&self, d: &RawDomain) -> Result<Option<Resolved<WindowSpec>>, ProjectError> {
        let r = self.r;
        let date = |native: &Option<super::raw::Text>, key: DomainKey, name: &str| {
            let dbt = r.dbt_text(self.vars, self.dbt(key))?;
            let dbt = dbt
                .map(|d| {
                    d.try_map(|t| {
                        chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                            .map_err(|_| format!("`{t}` is not a date (YYYY-MM-DD)"))
                    })
                })
                .transpose()?;
            either(
                &self.key(name),
                native.as_ref().map(|t| r.date(t)).transpose()?,
                dbt,
            )
        };
        let start = date(&d.start_date, DomainKey::StartDate, "start_date")?;
        let end = date(&d.end_date, DomainKey::EndDate, "end_date")?;
        let look_back = either(
            &self.key("look_back_days"),
            d.look_back_days.as_ref().map(|c| r.count(c)).transpose()?,
            r.dbt_count(self.vars, self.dbt(DomainKey::LookBackDays))?,
        )?;
        r.dates_or_look_back(start, end, look_back)
    }

    fn options(&self, d: &RawDomain) -> Result<Vec<Resolved<(String, String)>>, ProjectError> {
        let mut options = Vec::new();
        for (name, value) in &d.options {
            options.push(self.r.text(value)?.map(|v| (name.clone(), v)));
        }
        for a in self.vars {
            let Target::Domain(domain, DomainKey::PluginOption(option)) = a.var.target else {
                continue;
            };
            if domain != self.name {
                continue;
            }
            let Some(value) = self.r.dbt_text(self.vars, a.var.target)? else {
                continue;
            };
            if let Some(native) = options.iter().find(|o| o.value.0 == option) {
                return Err(ProjectError::Conflict {
                    key: self.key(&format!("options.{option}")),
                    first: Box::new(native.from.clone()),
                    second: Box::new(value.from),
                });
            }
            options.push(value.map(|v| (option.to_string(), v)));
        }
        Ok(options)
    }
}
