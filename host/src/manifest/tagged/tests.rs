use super::*;
use crate::manifest::{DataType, DatasetKind, DatasetSpec, Reduction, SourceSpec};
use arrow_array::{Array, StringArray};

fn column(name: &str, data_type: DataType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        data_type,
        nullable: false,
        categorical: false,
        role: None,
    }
}

fn dataset(name: &str, columns: Vec<ColumnSpec>, latest_by: Vec<ColumnSpec>) -> DatasetSpec {
    let reduction = if latest_by.is_empty() {
        Reduction::Events
    } else {
        Reduction::Entity {
            key: columns[0].name.clone(),
            latest_by,
            key_index: 0,
        }
    };
    DatasetSpec {
        name: name.into(),
        kind: DatasetKind::Other,
        columns,
        reduction,
    }
}

fn manifest(datasets: Vec<DatasetSpec>) -> Manifest {
    Manifest {
        name: "p".into(),
        version: "1".into(),
        description: String::new(),
        domain: "d".into(),
        source: SourceSpec {
            table: "t".into(),
            columns: vec![],
            time_column: "ts".into(),
            time_index: 0,
        },
        datasets,
        recommenders: vec![],
        options: vec![],
    }
}

#[test]
fn same_name_and_type_is_shared_any_other_clash_gets_a_fresh_name() {
    let layout = TaggedLayout::of(&manifest(vec![
        dataset(
            "a",
            vec![
                column("USER_ID", DataType::Utf8),
                column("TS", DataType::Timestamp),
            ],
            vec![],
        ),
        dataset(
            "b",
            vec![
                column("USER_ID", DataType::Utf8),
                column("TS", DataType::Int64),
            ],
            vec![column("ts", DataType::Timestamp)],
        ),
    ]));
    let names: Vec<&str> = layout.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["USER_ID", "TS", "TS_2", "ts_3"]);
    assert_eq!(layout.positions, [vec![0, 1], vec![0, 2, 3]]);
    assert!(layout.columns.iter().all(|c| c.nullable));
    assert_eq!(layout.schema().field(0).name(), TAG_COLUMN);
}

#[test]
fn tag_stacks_datasets_with_nulls_where_a_dataset_lacks_a_column() {
    let manifest = manifest(vec![
        dataset("a", vec![column("U", DataType::Utf8)], vec![]),
        dataset(
            "b",
            vec![column("I", DataType::Utf8), column("U", DataType::Utf8)],
            vec![],
        ),
    ]);
    let layout = TaggedLayout::of(&manifest);
    let strings = |values: &[&str]| Arc::new(StringArray::from(values.to_vec())) as ArrayRef;
    let a = RecordBatch::try_new(
        manifest.datasets[0].returned_schema(),
        vec![strings(&["u1"])],
    )
    .unwrap();
    let b = RecordBatch::try_new(
        manifest.datasets[1].returned_schema(),
        vec![strings(&["i1", "i2"]), strings(&["u2", "u3"])],
    )
    .unwrap();
    let tagged = layout.tag(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(tagged.num_rows(), 3);
    let tags = tagged
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(tags.values().as_ref(), [1, 2, 2]);
    let users = tagged
        .column(1)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(
        users.iter().collect::<Vec<_>>(),
        [Some("u1"), Some("u2"), Some("u3")]
    );
    let items = tagged
        .column(2)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(
        items.iter().collect::<Vec<_>>(),
        [None, Some("i1"), Some("i2")]
    );

    // Unconcatenated: a batch per dataset, holding the plugin's own buffers.
    let each = layout.tag_each(&[a.clone(), b.clone()]).unwrap();
    let rows: Vec<_> = each.iter().map(RecordBatch::num_rows).collect();
    assert_eq!(rows, [1, 2]);
    assert_eq!(concat_batches(&layout.schema(), &each).unwrap(), tagged);
    let data_of = |array: &ArrayRef| array.to_data().buffers()[1].as_ptr();
    assert_eq!(data_of(each[1].column(2)), data_of(b.column(0)));

    let empty = RecordBatch::new_empty(manifest.datasets[1].returned_schema());
    let only_a = layout.tag(&[a, empty]).unwrap();
    assert_eq!(only_a.num_rows(), 1);
    assert_eq!(only_a.column(2).null_count(), 1);
    let none = layout.tag(&[]).unwrap();
    assert_eq!((none.num_rows(), none.schema()), (0, layout.schema()));
}
