-- rechost snowplow-ecommerce 0.1.0 (sha256 <sha256>): one UDTF per dataset, and one returning
-- every dataset's rows tagged with RECHOST_DATASET (its position in this list), which
-- `rechost run --pushdown` runs once.
CREATE STAGE IF NOT EXISTS rechost_plugins;
PUT 'file://<plugin.wasm>' @rechost_plugins/<sha256-16>/ AUTO_COMPRESS = FALSE OVERWRITE = TRUE;

CREATE OR REPLACE FUNCTION analytics.recs.rechost_snowplow_recommendations_ecommerce_interactions(event_id VARCHAR, domain_userid VARCHAR, ecommerce_user_id VARCHAR, product_id VARCHAR, product_category VARCHAR, product_price FLOAT, derived_tstamp TIMESTAMP_NTZ, is_product_view BOOLEAN, is_product_transaction BOOLEAN, ecommerce_user_is_guest BOOLEAN)
  RETURNS TABLE ("USER_ID" VARCHAR, "ITEM_ID" VARCHAR, "TIMESTAMP" NUMBER(38, 0), "EVENT_TYPE" VARCHAR)
  LANGUAGE PYTHON
  RUNTIME_VERSION = '3.11'
  ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
  PACKAGES = ('rechost-runtime==0.1.0', 'pandas', 'pyarrow')
  IMPORTS = ('@rechost_plugins/<sha256-16>/ecommerce.wasm')
  HANDLER = 'Handler'
AS $$
<sql/snowflake/handler.py>

class Handler(RechostSnowflakeUdtf):
    DATASET = "snowplow_recommendations_ecommerce_interactions"
    PLUGIN = "ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;

CREATE OR REPLACE FUNCTION analytics.recs.rechost_snowplow_recommendations_ecommerce_users(event_id VARCHAR, domain_userid VARCHAR, ecommerce_user_id VARCHAR, product_id VARCHAR, product_category VARCHAR, product_price FLOAT, derived_tstamp TIMESTAMP_NTZ, is_product_view BOOLEAN, is_product_transaction BOOLEAN, ecommerce_user_is_guest BOOLEAN)
  RETURNS TABLE ("USER_ID" VARCHAR, "ECOMMERCE_USER_IS_GUEST" VARCHAR, "derived_tstamp" TIMESTAMP_NTZ, "event_id" VARCHAR)
  LANGUAGE PYTHON
  RUNTIME_VERSION = '3.11'
  ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
  PACKAGES = ('rechost-runtime==0.1.0', 'pandas', 'pyarrow')
  IMPORTS = ('@rechost_plugins/<sha256-16>/ecommerce.wasm')
  HANDLER = 'Handler'
AS $$
<sql/snowflake/handler.py>

class Handler(RechostSnowflakeUdtf):
    DATASET = "snowplow_recommendations_ecommerce_users"
    PLUGIN = "ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;

CREATE OR REPLACE FUNCTION analytics.recs.rechost_snowplow_recommendations_ecommerce_items(event_id VARCHAR, domain_userid VARCHAR, ecommerce_user_id VARCHAR, product_id VARCHAR, product_category VARCHAR, product_price FLOAT, derived_tstamp TIMESTAMP_NTZ, is_product_view BOOLEAN, is_product_transaction BOOLEAN, ecommerce_user_is_guest BOOLEAN)
  RETURNS TABLE ("ITEM_ID" VARCHAR, "PRICE" FLOAT, "CATEGORY_L1" VARCHAR, "derived_tstamp" TIMESTAMP_NTZ, "event_id" VARCHAR)
  LANGUAGE PYTHON
  RUNTIME_VERSION = '3.11'
  ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
  PACKAGES = ('rechost-runtime==0.1.0', 'pandas', 'pyarrow')
  IMPORTS = ('@rechost_plugins/<sha256-16>/ecommerce.wasm')
  HANDLER = 'Handler'
AS $$
<sql/snowflake/handler.py>

class Handler(RechostSnowflakeUdtf):
    DATASET = "snowplow_recommendations_ecommerce_items"
    PLUGIN = "ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;

CREATE OR REPLACE FUNCTION analytics.recs.rechost_snowplow_ecommerce_all_datasets(event_id VARCHAR, domain_userid VARCHAR, ecommerce_user_id VARCHAR, product_id VARCHAR, product_category VARCHAR, product_price FLOAT, derived_tstamp TIMESTAMP_NTZ, is_product_view BOOLEAN, is_product_transaction BOOLEAN, ecommerce_user_is_guest BOOLEAN)
  RETURNS TABLE ("RECHOST_DATASET" NUMBER(38, 0), "USER_ID" VARCHAR, "ITEM_ID" VARCHAR, "TIMESTAMP" NUMBER(38, 0), "EVENT_TYPE" VARCHAR, "ECOMMERCE_USER_IS_GUEST" VARCHAR, "derived_tstamp" TIMESTAMP_NTZ, "event_id" VARCHAR, "PRICE" FLOAT, "CATEGORY_L1" VARCHAR)
  LANGUAGE PYTHON
  RUNTIME_VERSION = '3.11'
  ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
  PACKAGES = ('rechost-runtime==0.1.0', 'pandas', 'pyarrow')
  IMPORTS = ('@rechost_plugins/<sha256-16>/ecommerce.wasm')
  HANDLER = 'Handler'
AS $$
<sql/snowflake/handler.py>

class Handler(RechostSnowflakeUdtf):
    ALL_DATASETS = True
    PLUGIN = "ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;
