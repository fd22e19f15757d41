//! The commented `rechost.toml` that `rechost init` writes.

use super::WarehouseKind;

const HEADER: &str = r#"# rechost project file: every domain below runs with one `rechost run`.
# `rechost config` prints what this file resolves to and where each value comes from.
# Relative paths are relative to this file's folder. "${VAR}" takes a value from the
# environment (not for secrets: secrets never go here; they stay in connections.toml,
# ~/.databrickscfg and the AWS credential chain). Command-line flags win over this file.
# The dbt package's variable names are accepted under [vars] (see the README).

[window]
# The window of days (UTC, inclusive): both dates, or the last N whole days before today.
# start_date = "2024-03-01"
# end_date = "2024-03-31"
look_back_days = 31
"#;

const FILES: &str = r#"
[warehouse]
type = "files"               # files | snowflake | databricks

[output]
path = "out"                 # a folder, or s3://bucket/prefix
# s3_endpoint = "http://127.0.0.1:9000"   # S3-compatible stores (MinIO, ...)

[domains.ecommerce]
plugin = "target/wasm32-wasip2/release/ecommerce.wasm"
# sha256 = "..."             # refuse any other build of the plugin
input = "exports/ecommerce/" # Parquet/CSV file, folder or glob
# export = ["snowplow_recommendations_ecommerce_interactions", "snowplow_recommendations_ecommerce_items"]

[domains.ecommerce.options]
category-separator = "/"

[domains.media]
plugin = "target/wasm32-wasip2/release/media.wasm"
input = "exports/media/"
"#;

const SNOWFLAKE: &str = r#"
[warehouse]
type = "snowflake"           # files | snowflake | databricks
connection = "default"       # a connection of ~/.snowflake/connections.toml (credentials stay there)
pushdown = false             # true: run inside Snowflake with the `rechost register` functions
# udf_schema = "analytics.recs"

[output]
path = "s3://my-bucket/recommendations"   # or @stage/prefix with pushdown = true
# storage_integration = "MY_INTEGRATION"  # pushdown to s3://

[domains.ecommerce]
plugin = "target/wasm32-wasip2/release/ecommerce.wasm"
# table = "analytics.derived.snowplow_ecommerce_product_interactions"   # default: the plugin's table
# export = ["snowplow_recommendations_ecommerce_interactions", "snowplow_recommendations_ecommerce_items"]

[domains.ecommerce.options]
category-separator = "/"

[domains.media]
plugin = "target/wasm32-wasip2/release/media.wasm"
# table = "analytics.derived.snowplow_media_player_base"
"#;

const DATABRICKS: &str = r#"
[warehouse]
type = "databricks"          # files | snowflake | databricks
profile = "DEFAULT"          # a profile of ~/.databrickscfg (credentials stay there)
pushdown = true              # Databricks tables are read in the warehouse
udf_schema = "main.recs"     # where `rechost register --target databricks` created the functions

[output]
path = "/Volumes/main/recs/personalize"   # or s3://bucket/prefix

[domains.ecommerce]
plugin = "target/wasm32-wasip2/release/ecommerce.wasm"
# table = "main.derived.snowplow_ecommerce_product_interactions"
# export = ["snowplow_recommendations_ecommerce_interactions", "snowplow_recommendations_ecommerce_items"]

[domains.media]
plugin = "target/wasm32-wasip2/release/media.wasm"
"#;

/// The file for `warehouse`.
pub fn render(warehouse: WarehouseKind) -> String {
    let body = match warehouse {
        WarehouseKind::Files => FILES,
        WarehouseKind::Snowflake => SNOWFLAKE,
        WarehouseKind::Databricks => DATABRICKS,
    };
    format!("{HEADER}{body}")
}
