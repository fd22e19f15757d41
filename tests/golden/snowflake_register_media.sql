-- rechost snowplow-media 0.1.0 (sha256 <sha256>): one UDTF per dataset, and one returning
-- every dataset's rows tagged with RECHOST_DATASET (its position in this list), which
-- `rechost run --pushdown` runs once.
CREATE STAGE IF NOT EXISTS rechost_plugins;
PUT 'file://<plugin.wasm>' @rechost_plugins/<sha256-16>/ AUTO_COMPRESS = FALSE OVERWRITE = TRUE;

CREATE OR REPLACE FUNCTION analytics.recs.rechost_snowplow_recommendations_media_interactions(user_id VARCHAR, user_identifier VARCHAR, media_identifier VARCHAR, start_tstamp TIMESTAMP_NTZ, is_valid_play BOOLEAN)
  RETURNS TABLE ("USER_ID" VARCHAR, "ITEM_ID" VARCHAR, "TIMESTAMP" NUMBER(38, 0), "EVENT_TYPE" VARCHAR)
  LANGUAGE PYTHON
  RUNTIME_VERSION = '3.11'
  ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
  PACKAGES = ('rechost-runtime==0.1.0', 'pandas', 'pyarrow')
  IMPORTS = ('@rechost_plugins/<sha256-16>/media.wasm')
  HANDLER = 'Handler'
AS $$
<sql/snowflake/handler.py>

class Handler(RechostSnowflakeUdtf):
    DATASET = "snowplow_recommendations_media_interactions"
    PLUGIN = "media.wasm"
    OPTIONS = {}
$$;

CREATE OR REPLACE FUNCTION analytics.recs.rechost_snowplow_media_all_datasets(user_id VARCHAR, user_identifier VARCHAR, media_identifier VARCHAR, start_tstamp TIMESTAMP_NTZ, is_valid_play BOOLEAN)
  RETURNS TABLE ("RECHOST_DATASET" NUMBER(38, 0), "USER_ID" VARCHAR, "ITEM_ID" VARCHAR, "TIMESTAMP" NUMBER(38, 0), "EVENT_TYPE" VARCHAR)
  LANGUAGE PYTHON
  RUNTIME_VERSION = '3.11'
  ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
  PACKAGES = ('rechost-runtime==0.1.0', 'pandas', 'pyarrow')
  IMPORTS = ('@rechost_plugins/<sha256-16>/media.wasm')
  HANDLER = 'Handler'
AS $$
<sql/snowflake/handler.py>

class Handler(RechostSnowflakeUdtf):
    ALL_DATASETS = True
    PLUGIN = "media.wasm"
    OPTIONS = {}
$$;
