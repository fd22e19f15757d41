//! The Personalize Avro schema of a dataset (`schema.avsc`).

use serde_json::{Value, json};

use crate::manifest::{DataType, DatasetSpec};

fn avro_type(data_type: DataType) -> &'static str {
    match data_type {
        DataType::Utf8 => "string",
        DataType::Int64 => "long",
        // Personalize documents numeric metadata as `float`; the CSV carries the full value.
        DataType::Float64 => "float",
        DataType::Boolean => "boolean",
        // Epoch microseconds; Personalize's own TIMESTAMP columns are epoch seconds (long).
        DataType::Timestamp => "long",
    }
}

pub fn schema(spec: &DatasetSpec) -> Value {
    let fields: Vec<Value> = spec
        .columns
        .iter()
        .map(|c| {
            let ty = avro_type(c.data_type);
            let mut field = json!({
                "name": c.name,
                "type": if c.nullable { json!(["null", ty]) } else { json!(ty) },
            });
            if c.categorical {
                field["categorical"] = json!(true);
            }
            field
        })
        .collect();
    json!({
        "type": "record",
        "name": spec.kind.avro_record_name(),
        "namespace": "com.amazonaws.personalize.schema",
        "fields": fields,
        "version": "1.0",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ColumnSpec, DatasetKind, Reduction};

    #[test]
    fn nullable_is_a_union_and_categorical_is_flagged() {
        let spec = DatasetSpec {
            name: "items".into(),
            kind: DatasetKind::Items,
            columns: vec![
                ColumnSpec {
                    name: "ITEM_ID".into(),
                    data_type: DataType::Utf8,
                    nullable: false,
                    categorical: false,
                    role: None,
                },
                ColumnSpec {
                    name: "CATEGORY_L1".into(),
                    data_type: DataType::Utf8,
                    nullable: true,
                    categorical: true,
                    role: None,
                },
            ],
            reduction: Reduction::Events,
        };
        let s = schema(&spec);
        assert_eq!(s["name"], "Items");
        assert_eq!(s["namespace"], "com.amazonaws.personalize.schema");
        assert_eq!(s["version"], "1.0");
        assert_eq!(s["fields"][0], json!({"name": "ITEM_ID", "type": "string"}));
        assert_eq!(
            s["fields"][1],
            json!({"name": "CATEGORY_L1", "type": ["null", "string"], "categorical": true})
        );
    }
}
