-- rechost snowplow-media 0.1.0 (sha256 <sha256>): one UDTF per dataset, and one returning
-- every dataset's rows tagged with RECHOST_DATASET (its position in this list), which
-- `rechost run --pushdown` runs once.
-- First copy the plugin into the volume, e.g.: databricks fs cp media.wasm dbfs:/Volumes/main/recs/plugins/media.wasm

CREATE OR REPLACE FUNCTION main.recs.rechost_snowplow_recommendations_media_interactions(source_rows TABLE)
  RETURNS TABLE (`USER_ID` STRING, `ITEM_ID` STRING, `TIMESTAMP` BIGINT, `EVENT_TYPE` STRING)
  LANGUAGE PYTHON
  HANDLER 'Handler'
  ENVIRONMENT (dependencies = '["rechost-runtime==0.1.0"]', environment_version = 'None')
AS $$
<sql/databricks/handler.py>

class Handler(RechostDatabricksUdtf):
    DATASET = "snowplow_recommendations_media_interactions"
    PLUGIN = "/Volumes/main/recs/plugins/media.wasm"
    OPTIONS = {}
$$;

CREATE OR REPLACE FUNCTION main.recs.rechost_snowplow_media_all_datasets(source_rows TABLE)
  RETURNS TABLE (`RECHOST_DATASET` BIGINT, `USER_ID` STRING, `ITEM_ID` STRING, `TIMESTAMP` BIGINT, `EVENT_TYPE` STRING)
  LANGUAGE PYTHON
  HANDLER 'Handler'
  ENVIRONMENT (dependencies = '["rechost-runtime==0.1.0"]', environment_version = 'None')
AS $$
<sql/databricks/handler.py>

class Handler(RechostDatabricksUdtf):
    ALL_DATASETS = True
    PLUGIN = "/Volumes/main/recs/plugins/media.wasm"
    OPTIONS = {}
$$;
