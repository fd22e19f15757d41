-- rechost snowplow-ecommerce 0.1.0 (sha256 <sha256>): one UDTF per dataset, and one returning
-- every dataset's rows tagged with RECHOST_DATASET (its position in this list), which
-- `rechost run --pushdown` runs once.
-- First copy the plugin into the volume, e.g.: databricks fs cp ecommerce.wasm dbfs:/Volumes/main/recs/plugins/ecommerce.wasm

CREATE OR REPLACE FUNCTION main.recs.rechost_snowplow_recommendations_ecommerce_interactions(source_rows TABLE)
  RETURNS TABLE (`USER_ID` STRING, `ITEM_ID` STRING, `TIMESTAMP` BIGINT, `EVENT_TYPE` STRING)
  LANGUAGE PYTHON
  HANDLER 'Handler'
  ENVIRONMENT (dependencies = '["rechost-runtime==0.1.0"]', environment_version = 'None')
AS $$
<sql/databricks/handler.py>

class Handler(RechostDatabricksUdtf):
    DATASET = "snowplow_recommendations_ecommerce_interactions"
    PLUGIN = "/Volumes/main/recs/plugins/ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;

CREATE OR REPLACE FUNCTION main.recs.rechost_snowplow_recommendations_ecommerce_users(source_rows TABLE)
  RETURNS TABLE (`USER_ID` STRING, `ECOMMERCE_USER_IS_GUEST` STRING, `derived_tstamp` TIMESTAMP_NTZ, `event_id` STRING)
  LANGUAGE PYTHON
  HANDLER 'Handler'
  ENVIRONMENT (dependencies = '["rechost-runtime==0.1.0"]', environment_version = 'None')
AS $$
<sql/databricks/handler.py>

class Handler(RechostDatabricksUdtf):
    DATASET = "snowplow_recommendations_ecommerce_users"
    PLUGIN = "/Volumes/main/recs/plugins/ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;

CREATE OR REPLACE FUNCTION main.recs.rechost_snowplow_recommendations_ecommerce_items(source_rows TABLE)
  RETURNS TABLE (`ITEM_ID` STRING, `PRICE` DOUBLE, `CATEGORY_L1` STRING, `derived_tstamp` TIMESTAMP_NTZ, `event_id` STRING)
  LANGUAGE PYTHON
  HANDLER 'Handler'
  ENVIRONMENT (dependencies = '["rechost-runtime==0.1.0"]', environment_version = 'None')
AS $$
<sql/databricks/handler.py>

class Handler(RechostDatabricksUdtf):
    DATASET = "snowplow_recommendations_ecommerce_items"
    PLUGIN = "/Volumes/main/recs/plugins/ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;

CREATE OR REPLACE FUNCTION main.recs.rechost_snowplow_ecommerce_all_datasets(source_rows TABLE)
  RETURNS TABLE (`RECHOST_DATASET` BIGINT, `USER_ID` STRING, `ITEM_ID` STRING, `TIMESTAMP` BIGINT, `EVENT_TYPE` STRING, `ECOMMERCE_USER_IS_GUEST` STRING, `derived_tstamp` TIMESTAMP_NTZ, `event_id` STRING, `PRICE` DOUBLE, `CATEGORY_L1` STRING)
  LANGUAGE PYTHON
  HANDLER 'Handler'
  ENVIRONMENT (dependencies = '["rechost-runtime==0.1.0"]', environment_version = 'None')
AS $$
<sql/databricks/handler.py>

class Handler(RechostDatabricksUdtf):
    ALL_DATASETS = True
    PLUGIN = "/Volumes/main/recs/plugins/ecommerce.wasm"
    OPTIONS = {"category-separator": "/"}
$$;
