//! Snowplow ecommerce -> AWS Personalize ECOMMERCE datasets (interactions, users, items), as
//! the dbt package computed them: interactions are the rows that are a product view or a
//! transaction (SQL three-valued logic: NULL OR FALSE drops the row), users and items keep
//! their latest row by `derived_tstamp` (ties: greatest `event_id`).

use rechost_plugin_sdk::{
    Batch, ColumnRole, ColumnSpec, ColumnSpecExt, DataType, DatasetKind, DatasetSpec, DropCounter,
    EntityReduction, Float64Builder, Input, Int64Builder, Manifest, OptionSpec, Options, Plugin,
    RecommenderSpec, Reduction, SourceSpec, TimestampBuilder, TransformOutput, Utf8Builder, batch,
    column,
};

pub struct Ecommerce;

rechost_plugin_sdk::export_plugin!(Ecommerce);

// Source columns, in manifest order.
const EVENT_ID: usize = 0;
const DOMAIN_USERID: usize = 1;
const ECOMMERCE_USER_ID: usize = 2;
const PRODUCT_ID: usize = 3;
const PRODUCT_CATEGORY: usize = 4;
const PRODUCT_PRICE: usize = 5;
const DERIVED_TSTAMP: usize = 6;
const IS_PRODUCT_VIEW: usize = 7;
const IS_PRODUCT_TRANSACTION: usize = 8;
const ECOMMERCE_USER_IS_GUEST: usize = 9;

const SEPARATOR_OPTION: &str = "category-separator";
const MISSING_USER: &str = "USER_ID is NULL or empty";
const MISSING_ITEM: &str = "ITEM_ID is NULL or empty";

/// Users and items keep their latest row: by event time, ties by the greatest event id.
fn latest_row() -> Vec<ColumnSpec> {
    vec![
        column("derived_tstamp", DataType::Timestamp, false),
        column("event_id", DataType::Utf8, true),
    ]
}

/// Personalize's ECOMMERCE recommenders all need 1000 interactions (of a type).
fn recommender(name: &str, event_type: Option<&str>) -> RecommenderSpec {
    rechost_plugin_sdk::recommender(name, 1000, event_type, false)
}

impl Plugin for Ecommerce {
    fn manifest() -> Manifest {
        use DataType::*;
        let user_id = column("USER_ID", Utf8, false).role(ColumnRole::UserId);
        let item_id = column("ITEM_ID", Utf8, false).role(ColumnRole::ItemId);
        Manifest {
            name: "snowplow-ecommerce".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Snowplow ecommerce product interactions to AWS Personalize ECOMMERCE \
                          datasets (views and purchases, users, items)"
                .into(),
            domain: "ECOMMERCE".into(),
            source: SourceSpec {
                table: "snowplow_ecommerce_product_interactions".into(),
                columns: vec![
                    column("event_id", Utf8, true),
                    column("domain_userid", Utf8, true),
                    column("ecommerce_user_id", Utf8, true),
                    column("product_id", Utf8, true),
                    column("product_category", Utf8, true),
                    column("product_price", Float64, true),
                    column("derived_tstamp", Timestamp, true),
                    column("is_product_view", Boolean, true),
                    column("is_product_transaction", Boolean, true),
                    column("ecommerce_user_is_guest", Boolean, true),
                ],
                time_column: "derived_tstamp".into(),
            },
            datasets: vec![
                DatasetSpec {
                    name: "snowplow_recommendations_ecommerce_interactions".into(),
                    kind: DatasetKind::Interactions,
                    columns: vec![
                        user_id.clone(),
                        item_id.clone(),
                        column("TIMESTAMP", Int64, false).role(ColumnRole::EventTime),
                        column("EVENT_TYPE", Utf8, false).role(ColumnRole::EventType),
                    ],
                    reduction: Reduction::Events,
                },
                DatasetSpec {
                    name: "snowplow_recommendations_ecommerce_users".into(),
                    kind: DatasetKind::Users,
                    columns: vec![
                        user_id,
                        column("ECOMMERCE_USER_IS_GUEST", Utf8, false).categorical(),
                    ],
                    reduction: Reduction::Entity(EntityReduction {
                        key: "USER_ID".into(),
                        latest_by: latest_row(),
                    }),
                },
                DatasetSpec {
                    name: "snowplow_recommendations_ecommerce_items".into(),
                    kind: DatasetKind::Items,
                    columns: vec![
                        item_id,
                        column("PRICE", Float64, true),
                        column("CATEGORY_L1", Utf8, true).categorical(),
                    ],
                    reduction: Reduction::Entity(EntityReduction {
                        key: "ITEM_ID".into(),
                        latest_by: latest_row(),
                    }),
                },
            ],
            recommenders: vec![
                recommender("Most viewed", Some("View")),
                recommender("Customers who viewed X also viewed", Some("View")),
                recommender("Best sellers", Some("Purchase")),
                recommender("Frequently bought together", Some("Purchase")),
                recommender("Recommended for you", None),
            ],
            options: vec![OptionSpec {
                name: SEPARATOR_OPTION.into(),
                description: "Separator of category levels in product_category; every \
                              occurrence becomes `|` (Personalize's multi-value separator)"
                    .into(),
                default_value: "/".into(),
            }],
        }
    }

    fn transform(options: &Options, input: &Input<'_>) -> Result<TransformOutput, String> {
        let separator = options.get(SEPARATOR_OPTION).unwrap_or("/");
        if separator.is_empty() {
            return Err(format!("option {SEPARATOR_OPTION} must not be empty"));
        }
        let event_id = input.utf8(EVENT_ID)?;
        let domain_userid = input.utf8(DOMAIN_USERID)?;
        let ecommerce_user_id = input.utf8(ECOMMERCE_USER_ID)?;
        let product_id = input.utf8(PRODUCT_ID)?;
        let product_category = input.utf8(PRODUCT_CATEGORY)?;
        let product_price = input.float64(PRODUCT_PRICE)?;
        let derived_tstamp = input.timestamp(DERIVED_TSTAMP)?;
        let is_view = input.boolean(IS_PRODUCT_VIEW)?;
        let is_transaction = input.boolean(IS_PRODUCT_TRANSACTION)?;
        let is_guest = input.boolean(ECOMMERCE_USER_IS_GUEST)?;

        let rows = input.rows();
        // Each output text column holds input values (or shorter, for categories), so the
        // input's bytes bound it: no regrowth, whatever the ids' length.
        let mut out = Outputs::with_capacity(
            rows,
            TextBytes {
                user: domain_userid.value_bytes() + ecommerce_user_id.value_bytes(),
                item: product_id.value_bytes(),
                category: product_category.value_bytes(),
                event_id: event_id.value_bytes(),
            },
        );
        let mut dropped = DropCounter::default();

        for row in 0..rows {
            let view = is_view.get(row);
            // SQL three-valued `view OR transaction`: only TRUE keeps the row.
            if view != Some(true) && is_transaction.get(row) != Some(true) {
                continue;
            }
            let user = ecommerce_user_id
                .get(row)
                .or_else(|| domain_userid.get(row));
            let Some(user) = user.filter(|u| !u.is_empty()) else {
                dropped.add(MISSING_USER);
                continue;
            };
            let Some(item) = product_id.get(row).filter(|i| !i.is_empty()) else {
                dropped.add(MISSING_ITEM);
                continue;
            };
            let Some(micros) = derived_tstamp.get(row) else {
                continue; // the host's date window never passes a NULL time
            };
            let guest = is_guest
                .get(row)
                .unwrap_or_else(|| ecommerce_user_id.get(row).is_none());

            out.rows += 1;
            out.user.push(Some(user));
            out.item.push(Some(item));
            out.timestamp.push(Some(micros.div_euclid(1_000_000)));
            out.event_type.push(Some(if view == Some(true) {
                "View"
            } else {
                "Purchase"
            }));
            out.is_guest
                .push(Some(if guest { "true" } else { "false" }));
            out.price.push(product_price.get(row));
            match product_category.get(row) {
                Some(category) => push_replaced(&mut out.category, category, separator),
                None => out.category.push(None),
            }
            out.latest_tstamp.push(Some(micros));
            out.latest_event_id.push(event_id.get(row));
        }

        Ok(TransformOutput {
            datasets: out.finish(),
            dropped: dropped.finish(),
        })
    }
}

/// Appends `value` with every `separator` replaced by `|`, with no allocation. A one-byte
/// separator (the default `/`) is replaced byte for byte in the copied value: searching for
/// each occurrence cost more than the rest of the row on short categories.
fn push_replaced(builder: &mut Utf8Builder, value: &str, separator: &str) {
    match separator.as_bytes() {
        // One byte of UTF-8 is ASCII.
        [byte] => builder.push_ascii_replaced(value, *byte, b'|'),
        _ => builder.push_parts(joined(value.split(separator))),
    }
}

/// The pieces of `parts` joined with `|`.
fn joined<'a>(parts: impl Iterator<Item = &'a str>) -> impl Iterator<Item = &'a str> {
    parts
        .enumerate()
        .flat_map(|(i, part)| [if i == 0 { "" } else { "|" }, part])
}

/// Every output column; the three datasets share the kept rows (users and items are reduced
/// to one row per key by the host).
struct Outputs {
    rows: usize,
    user: Utf8Builder,
    item: Utf8Builder,
    timestamp: Int64Builder,
    event_type: Utf8Builder,
    is_guest: Utf8Builder,
    price: Float64Builder,
    category: Utf8Builder,
    latest_tstamp: TimestampBuilder,
    latest_event_id: Utf8Builder,
}

/// Upper bounds of the output text columns' bytes.
struct TextBytes {
    user: usize,
    item: usize,
    category: usize,
    event_id: usize,
}

impl Outputs {
    fn with_capacity(rows: usize, bytes: TextBytes) -> Self {
        Self {
            rows: 0,
            user: Utf8Builder::with_capacity(rows, bytes.user),
            item: Utf8Builder::with_capacity(rows, bytes.item),
            timestamp: Int64Builder::with_capacity(rows),
            event_type: Utf8Builder::with_capacity(rows, rows * "Purchase".len()),
            is_guest: Utf8Builder::with_capacity(rows, rows * "false".len()),
            price: Float64Builder::with_capacity(rows),
            category: Utf8Builder::with_capacity(rows, bytes.category),
            latest_tstamp: TimestampBuilder::with_capacity(rows),
            latest_event_id: Utf8Builder::with_capacity(rows, bytes.event_id),
        }
    }

    /// Interactions, users, items — manifest order. The user and item columns are sent twice
    /// (once per dataset) because each dataset is its own batch.
    fn finish(self) -> Vec<Batch> {
        let user = self.user.finish();
        let item = self.item.finish();
        let latest_tstamp = self.latest_tstamp.finish();
        let latest_event_id = self.latest_event_id.finish();
        vec![
            batch(
                self.rows,
                vec![
                    user.clone(),
                    item.clone(),
                    self.timestamp.finish(),
                    self.event_type.finish(),
                ],
            ),
            batch(
                self.rows,
                vec![
                    user,
                    self.is_guest.finish(),
                    latest_tstamp.clone(),
                    latest_event_id.clone(),
                ],
            ),
            batch(
                self.rows,
                vec![
                    item,
                    self.price.finish(),
                    self.category.finish(),
                    latest_tstamp,
                    latest_event_id,
                ],
            ),
        ]
    }
}
