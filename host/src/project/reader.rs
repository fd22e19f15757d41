//! Reading values out of the project file: positions become lines, `${VAR}` is expanded,
//! dbt variables are typed and tagged with their dbt name.

use std::path::PathBuf;
use std::sync::Arc;
use toml::Spanned;

use super::dbt::{self, Assignment, Target};
use super::interpolate::{self, Problem};
use super::origin::either;
use super::origin::line_of;
use super::raw::{Count, RawWindow, Text};
use super::{Origin, ProjectError, Resolved, WindowSpec};
use crate::window::DEFAULT_LOOK_BACK_DAYS;

impl<T> Resolved<T> {
    pub(super) fn try_map<U>(
        self,
        f: impl FnOnce(T) -> Result<U, String>,
    ) -> Result<Resolved<U>, ProjectError> {
        match f(self.value) {
            Ok(value) => Ok(Resolved::new(value, self.from)),
            Err(message) => Err(ProjectError::Invalid {
                at: self.from,
                message,
            }),
        }
    }
}

/// Reads values out of the file: positions become lines, `${VAR}` is expanded.
pub(super) struct Reader<'a> {
    pub file: Arc<str>,
    text: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
    /// The project file's folder: relative paths start there.
    pub base: PathBuf,
}

impl<'a> Reader<'a> {
    pub fn new(
        file: Arc<str>,
        text: &'a str,
        env: &'a dyn Fn(&str) -> Option<String>,
        base: PathBuf,
    ) -> Self {
        Self {
            file,
            text,
            env,
            base,
        }
    }

    pub fn at(&self, offset: usize) -> Origin {
        Origin::File {
            file: self.file.clone(),
            line: line_of(self.text, offset),
            dbt: None,
        }
    }

    pub fn invalid(&self, offset: usize, message: String) -> ProjectError {
        ProjectError::Invalid {
            at: self.at(offset),
            message,
        }
    }

    pub fn plain<T: Clone>(&self, value: &Spanned<T>) -> Resolved<T> {
        Resolved::new(value.get_ref().clone(), self.at(value.span().start))
    }

    pub fn text(&self, value: &Text) -> Result<Resolved<String>, ProjectError> {
        let offset = value.span().start;
        match interpolate::expand(value.get_ref(), self.env) {
            Ok((text, None)) => Ok(Resolved::new(text, self.at(offset))),
            Ok((text, Some(var))) => Ok(Resolved::new(
                text,
                Origin::Env {
                    var,
                    file: self.file.clone(),
                    line: line_of(self.text, offset),
                },
            )),
            Err(Problem::Unset(var)) => Err(self.invalid(
                offset,
                format!("environment variable {var} is not set (used as ${{{var}}})"),
            )),
            Err(Problem::Malformed) => Err(self.invalid(
                offset,
                "malformed ${...}: write ${NAME} with letters, digits and _ (and $$ for $)".into(),
            )),
        }
    }

    pub fn opt_text(&self, value: &Option<Text>) -> Result<Option<Resolved<String>>, ProjectError> {
        value.as_ref().map(|v| self.text(v)).transpose()
    }

    pub fn count(&self, value: &Spanned<Count>) -> Result<Resolved<u32>, ProjectError> {
        let offset = value.span().start;
        let (number, from) = match value.get_ref() {
            Count::Number(n) => (n.to_string(), self.at(offset)),
            Count::Text(t) => {
                let r = self.text(&Spanned::new(value.span(), t.clone()))?;
                (r.value, r.from)
            }
        };
        match number.trim().parse::<u32>() {
            Ok(n) if (1..=36_500).contains(&n) => Ok(Resolved::new(n, from)),
            _ => Err(ProjectError::Invalid {
                at: from,
                message: format!("`{number}` is not a number of days from 1 to 36500"),
            }),
        }
    }

    /// A date, `YYYY-MM-DD`.
    pub fn date(&self, value: &Text) -> Result<Resolved<chrono::NaiveDate>, ProjectError> {
        self.text(value)?.try_map(|d| {
            chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|_| format!("`{d}` is not a date (YYYY-MM-DD)"))
        })
    }

    /// The window of `start_date`/`end_date`/`look_back_days`, if any is set. The dates win
    /// over the look-back, as in the dbt package.
    pub fn window(
        &self,
        w: &RawWindow,
        dbt_look_back: Option<Resolved<u32>>,
    ) -> Result<Option<Resolved<WindowSpec>>, ProjectError> {
        let look_back = w
            .look_back_days
            .as_ref()
            .map(|c| self.count(c))
            .transpose()?;
        let look_back = either("window.look_back_days", look_back, dbt_look_back)?;
        let start = w.start_date.as_ref().map(|d| self.date(d)).transpose()?;
        let end = w.end_date.as_ref().map(|d| self.date(d)).transpose()?;
        self.dates_or_look_back(start, end, look_back)
    }

    pub fn dates_or_look_back(
        &self,
        start: Option<Resolved<chrono::NaiveDate>>,
        end: Option<Resolved<chrono::NaiveDate>>,
        look_back: Option<Resolved<u32>>,
    ) -> Result<Option<Resolved<WindowSpec>>, ProjectError> {
        match (start, end) {
            (Some(start), Some(end)) if start.value > end.value => Err(ProjectError::Invalid {
                at: start.from,
                message: format!("start_date {} is after end_date {}", start.value, end.value),
            }),
            (Some(start), Some(end)) => Ok(Some(Resolved::new(
                WindowSpec::Dates {
                    start: start.value,
                    end: end.value,
                },
                start.from,
            ))),
            (Some(one), None) | (None, Some(one)) => Err(ProjectError::Invalid {
                at: one.from,
                message: "start_date and end_date go together (or use look_back_days)".into(),
            }),
            (None, None) => Ok(look_back.map(|n| n.map(WindowSpec::LookBackDays))),
        }
    }

    /// The default window when nothing sets one.
    pub fn default_window() -> Resolved<WindowSpec> {
        Resolved::default(WindowSpec::LookBackDays(DEFAULT_LOOK_BACK_DAYS))
    }

    /// A dbt variable's string value; `''` is unset, as in the dbt package.
    pub fn dbt_text(
        &self,
        vars: &[Assignment],
        target: Target,
    ) -> Result<Option<Resolved<String>>, ProjectError> {
        let Some(a) = dbt::find(vars, target) else {
            return Ok(None);
        };
        let toml::Value::String(s) = a.value.get_ref() else {
            return Err(self.invalid(
                a.value.span().start,
                format!("{}: expected a string", a.var.name),
            ));
        };
        if s.is_empty() {
            return Ok(None);
        }
        Ok(Some(tag(
            self.text(&Spanned::new(a.value.span(), s.clone()))?,
            a,
        )))
    }

    pub fn dbt_count(
        &self,
        vars: &[Assignment],
        target: Target,
    ) -> Result<Option<Resolved<u32>>, ProjectError> {
        let Some(a) = dbt::find(vars, target) else {
            return Ok(None);
        };
        let count = match a.value.get_ref() {
            toml::Value::Integer(n) => Count::Number(*n),
            toml::Value::String(s) if s.is_empty() => return Ok(None),
            toml::Value::String(s) => Count::Text(s.clone()),
            _ => {
                return Err(self.invalid(
                    a.value.span().start,
                    format!("{}: expected a number", a.var.name),
                ));
            }
        };
        Ok(Some(tag(
            self.count(&Spanned::new(a.value.span(), count))?,
            a,
        )))
    }

    pub fn dbt_list(&self, a: &Assignment) -> Result<Resolved<Vec<String>>, ProjectError> {
        let offset = a.value.span().start;
        let items = match a.value.get_ref() {
            toml::Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>(),
            _ => None,
        }
        .ok_or_else(|| {
            self.invalid(
                offset,
                format!("{}: expected a list of strings", a.var.name),
            )
        })?;
        let mut origin = self.at(offset);
        if let Origin::File { dbt, .. } = &mut origin {
            *dbt = Some(a.var.name);
        }
        Ok(Resolved::new(items, origin))
    }
}

/// Marks a value as written under its dbt name.
fn tag<T>(mut value: Resolved<T>, a: &Assignment) -> Resolved<T> {
    if let Origin::File { dbt, .. } = &mut value.from {
        *dbt = Some(a.var.name);
    }
    value
}
