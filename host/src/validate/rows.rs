//! The rows of one CSV part against the schema and Personalize's rules, line by line.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use super::schema::{Field, FieldType, Schema};
use super::{Problem, Severity};
use crate::readiness::limits::{MAX_CATEGORICAL_CHARS, MAX_ID_CHARS, too_long};

/// Problems reported per file and rule before the rest are only counted.
const SHOWN_PER_RULE: u64 = 10;

/// What the parts of one dataset add up to.
#[derive(Default)]
pub struct Totals {
    pub rows: u64,
    pub event_types: BTreeMap<String, u64>,
    pub problems: Vec<Problem>,
    /// (file, rule) -> occurrences, to cap what is listed.
    seen: HashMap<(String, &'static str), u64>,
}

impl Totals {
    fn report(&mut self, file: &str, line: Option<u64>, rule: &'static str, message: String) {
        let seen = self.seen.entry((file.to_string(), rule)).or_default();
        *seen += 1;
        if *seen <= SHOWN_PER_RULE {
            self.problems.push(Problem {
                file: file.to_string(),
                line,
                severity: Severity::Error,
                message,
            });
        }
    }

    /// One line per rule that occurred more often than was listed.
    pub fn summarise_hidden(&mut self) {
        let mut hidden: Vec<_> = (self.seen.iter())
            .filter(|(_, n)| **n > SHOWN_PER_RULE)
            .map(|((file, rule), n)| (file.clone(), *rule, n - SHOWN_PER_RULE))
            .collect();
        hidden.sort();
        for (file, rule, more) in hidden {
            self.problems.push(Problem {
                file,
                line: None,
                severity: Severity::Error,
                message: format!("{more} more rows with: {rule}"),
            });
        }
    }
}

fn is_id(name: &str) -> bool {
    name == "USER_ID" || name == "ITEM_ID"
}

/// What is wrong with `value` in `field`, if anything (rule, message).
fn check_value(field: &Field, value: &str) -> Option<(&'static str, String)> {
    let name = &field.name;
    if value.is_empty() {
        return (!field.nullable || is_id(name)).then(|| {
            (
                "empty required value",
                format!("{name} is empty but required"),
            )
        });
    }
    if value.contains(['\n', '\r']) {
        return Some((
            "line break in a value",
            format!("{name} holds a line break: the record spans lines"),
        ));
    }
    if is_id(name) && too_long(value, MAX_ID_CHARS) {
        return Some((
            "id too long",
            format!(
                "{name} is {} characters, at most {MAX_ID_CHARS}",
                value.chars().count()
            ),
        ));
    }
    if is_id(name) && value.contains('"') {
        return Some(("quote in an id", format!("{name} contains a `\"`")));
    }
    if field.categorical && too_long(value, MAX_CATEGORICAL_CHARS) {
        return Some((
            "categorical value too long",
            format!(
                "{name} is {} characters, categorical values take at most {MAX_CATEGORICAL_CHARS}",
                value.chars().count()
            ),
        ));
    }
    let valid = match field.field_type {
        FieldType::Int | FieldType::Long => value.parse::<i64>().is_ok(),
        FieldType::Float | FieldType::Double => value.parse::<f64>().is_ok(),
        FieldType::Boolean => {
            value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
        }
        FieldType::String | FieldType::Other => true,
    };
    (!valid).then(|| {
        (
            "value of the wrong type",
            format!("{name} = {value:?} is not a {:?}", field.field_type),
        )
    })
}

/// Checks one part: header equal to the schema, then every record.
pub fn check_part(input: impl Read, file: &str, schema: &Schema, totals: &mut Totals) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .escape(Some(b'\\'))
        .double_quote(false)
        .from_reader(input);
    let mut header: Option<Vec<usize>> = None;
    let event_type = schema.fields.iter().position(|f| f.name == "EVENT_TYPE");
    for record in reader.byte_records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                totals.report(file, line, "unreadable CSV", format!("unreadable CSV: {e}"));
                return;
            }
        };
        let line = record.position().map(|p| p.line());
        let mut fields = Vec::with_capacity(record.len());
        for bytes in record.iter() {
            match std::str::from_utf8(bytes) {
                Ok(text) => fields.push(text),
                Err(e) => {
                    totals.report(
                        file,
                        line,
                        "not UTF-8",
                        format!("not UTF-8 (byte {} of a field)", e.valid_up_to()),
                    );
                    fields.push("");
                }
            }
        }
        if header.is_none() {
            match header_order(&fields, schema) {
                Ok(order) => header = Some(order),
                Err(message) => {
                    totals.report(file, line, "header differs from the schema", message);
                    return;
                }
            }
            continue;
        }
        let order = header.as_ref().expect("set above");
        totals.rows += 1;
        if fields.len() != order.len() {
            totals.report(
                file,
                line,
                "wrong number of fields",
                format!("{} fields, the header has {}", fields.len(), order.len()),
            );
            continue;
        }
        for (value, &field) in fields.iter().zip(order) {
            if let Some((rule, message)) = check_value(&schema.fields[field], value) {
                totals.report(file, line, rule, message);
            }
            if Some(field) == event_type && !value.is_empty() {
                *totals.event_types.entry(value.to_string()).or_default() += 1;
            }
        }
    }
    if header.is_none() {
        totals.report(
            file,
            Some(1),
            "no header row",
            "the file is empty: no header row".into(),
        );
    }
}

/// For each header column, its schema field; the header must name exactly the schema's fields.
fn header_order(header: &[&str], schema: &Schema) -> Result<Vec<usize>, String> {
    let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    let order: Option<Vec<usize>> = (header.iter())
        .map(|h| names.iter().position(|n| n == h))
        .collect();
    match order {
        Some(order) if order.len() == names.len() => {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() == names.len() {
                return Ok(order);
            }
            Err(format!("header {} repeats a column", header.join(",")))
        }
        _ => Err(format!(
            "header {} differs from the schema's fields {}",
            header.join(","),
            names.join(",")
        )),
    }
}
