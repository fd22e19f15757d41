//! A dataset's `schema.avsc` as Personalize reads it: record name (the dataset kind), fields
//! with their type, nullability and `categorical` flag.

use serde_json::Value;

use crate::manifest::DatasetKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Int,
    Long,
    Float,
    Double,
    Boolean,
    Other,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    pub nullable: bool,
    pub categorical: bool,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub kind: DatasetKind,
    pub fields: Vec<Field>,
}

fn field_type(name: &str) -> FieldType {
    match name {
        "string" => FieldType::String,
        "int" => FieldType::Int,
        "long" => FieldType::Long,
        "float" => FieldType::Float,
        "double" => FieldType::Double,
        "boolean" => FieldType::Boolean,
        _ => FieldType::Other,
    }
}

/// Parses the schema; the error says what is wrong with it, in words.
pub fn parse(text: &str) -> Result<Schema, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if json["type"] != "record" {
        return Err("`type` must be \"record\"".into());
    }
    let kind = match json["name"].as_str() {
        Some("Interactions") => DatasetKind::Interactions,
        Some("Users") => DatasetKind::Users,
        Some("Items") => DatasetKind::Items,
        _ => DatasetKind::Other,
    };
    let fields = json["fields"].as_array().ok_or("no `fields` array")?;
    let fields = (fields.iter())
        .map(|f| {
            let name = f["name"]
                .as_str()
                .ok_or("a field without a `name`")?
                .to_string();
            let (type_name, nullable) = match &f["type"] {
                Value::String(t) => (t.clone(), false),
                Value::Array(union) => {
                    let nullable = union.iter().any(|t| t == "null");
                    let other = union
                        .iter()
                        .filter_map(Value::as_str)
                        .find(|t| *t != "null");
                    (other.unwrap_or("null").to_string(), nullable)
                }
                _ => return Err(format!("field {name}: unsupported `type`")),
            };
            Ok(Field {
                name,
                field_type: field_type(&type_name),
                nullable,
                categorical: f["categorical"].as_bool().unwrap_or(false),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Schema { kind, fields })
}

/// Problems of the schema itself (categorical non-strings; metadata Personalize can use).
pub fn problems(schema: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    for f in &schema.fields {
        if f.categorical && f.field_type != FieldType::String {
            problems.push(format!("field {} is categorical but not a string", f.name));
        }
        if f.field_type == FieldType::Other {
            problems.push(format!(
                "field {} has a type Personalize does not accept",
                f.name
            ));
        }
    }
    let id = crate::readiness::limits::id_column(schema.kind);
    if let Some(id) = id {
        // A Users or Items dataset needs a metadata field Personalize trains on: a
        // categorical string or a number (a boolean does not count).
        let usable = schema.fields.iter().filter(|f| f.name != id).any(|f| {
            (f.field_type == FieldType::String && f.categorical)
                || matches!(
                    f.field_type,
                    FieldType::Int | FieldType::Long | FieldType::Float | FieldType::Double
                )
        });
        if !usable {
            problems.push(format!(
                "no categorical string or numeric metadata field besides {id} (a boolean does not count)"
            ));
        }
    }
    if schema.kind == DatasetKind::Interactions {
        let timestamp = schema.fields.iter().find(|f| f.name == "TIMESTAMP");
        if timestamp.is_some_and(|t| t.field_type != FieldType::Long) {
            problems.push("TIMESTAMP must be a long (epoch seconds)".into());
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boolean_metadata_and_categorical_numbers_are_problems() {
        let schema = parse(
            r#"{"type":"record","name":"Users","fields":[
                {"name":"USER_ID","type":"string"},
                {"name":"GUEST","type":"boolean","categorical":true}]}"#,
        )
        .unwrap();
        assert_eq!(schema.kind, DatasetKind::Users);
        let problems = problems(&schema);
        assert!(
            problems[0].contains("GUEST is categorical but not a string"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("a boolean does not count"),
            "{problems:?}"
        );
    }
}
