-- rechost snowplow-ecommerce 0.1.0: in-warehouse run over analytics.derived.snowplow_ecommerce_product_interactions, 2024-03-01 to 2024-03-10 (UTC, inclusive)

-- The plugin runs once per source row: the rows of every dataset, tagged with "RECHOST_DATASET".
CREATE OR REPLACE TEMPORARY TABLE rechost_all_datasets AS
SELECT u.*
FROM (
  SELECT event_id, domain_userid, ecommerce_user_id, product_id, product_category, product_price, derived_tstamp, is_product_view, is_product_transaction, ecommerce_user_is_guest
  FROM analytics.derived.snowplow_ecommerce_product_interactions
  WHERE derived_tstamp >= '2024-03-01'::TIMESTAMP_NTZ AND derived_tstamp < '2024-03-11'::TIMESTAMP_NTZ
) s,
TABLE(analytics.recs.rechost_snowplow_ecommerce_all_datasets(s.event_id, s.domain_userid, s.ecommerce_user_id, s.product_id, s.product_category, s.product_price, s.derived_tstamp, s.is_product_view, s.is_product_transaction, s.ecommerce_user_is_guest)
      OVER (PARTITION BY TO_DATE(s.derived_tstamp), MOD(ABS(HASH(s.event_id)), 16))) u;

-- snowplow_recommendations_ecommerce_interactions: the rows tagged 1.
CREATE OR REPLACE TEMPORARY TABLE rechost_rows_1 AS
SELECT "USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"
FROM (
  SELECT a.*
  FROM rechost_all_datasets a
  WHERE a."RECHOST_DATASET" = 1
);

COPY INTO @analytics.recs.unload/personalize/snowplow_recommendations_ecommerce_interactions/personalize-dataset.csv
  FROM rechost_rows_1
  FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE = '\\' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = ('') EMPTY_FIELD_AS_NULL = FALSE)
  HEADER = TRUE SINGLE = TRUE MAX_FILE_SIZE = 5368709120 OVERWRITE = TRUE;

COPY INTO @analytics.recs.unload/personalize/snowplow_recommendations_ecommerce_interactions/personalize-dataset.parquet
  FROM rechost_rows_1
  FILE_FORMAT = (TYPE = PARQUET)
  HEADER = TRUE SINGLE = TRUE MAX_FILE_SIZE = 5368709120 OVERWRITE = TRUE;

-- snowplow_recommendations_ecommerce_users: the rows tagged 2.
CREATE OR REPLACE TEMPORARY TABLE rechost_rows_2 AS
SELECT "USER_ID", "ECOMMERCE_USER_IS_GUEST"
FROM (
  SELECT a.*,
    ROW_NUMBER() OVER (PARTITION BY a."USER_ID" ORDER BY a."derived_tstamp" DESC NULLS LAST, a."event_id" DESC NULLS LAST) AS rechost_rank
  FROM rechost_all_datasets a
  WHERE a."RECHOST_DATASET" = 2
)
WHERE rechost_rank = 1;

COPY INTO @analytics.recs.unload/personalize/snowplow_recommendations_ecommerce_users/personalize-dataset.csv
  FROM rechost_rows_2
  FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE = '\\' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = ('') EMPTY_FIELD_AS_NULL = FALSE)
  HEADER = TRUE SINGLE = TRUE MAX_FILE_SIZE = 5368709120 OVERWRITE = TRUE;

COPY INTO @analytics.recs.unload/personalize/snowplow_recommendations_ecommerce_users/personalize-dataset.parquet
  FROM rechost_rows_2
  FILE_FORMAT = (TYPE = PARQUET)
  HEADER = TRUE SINGLE = TRUE MAX_FILE_SIZE = 5368709120 OVERWRITE = TRUE;

-- snowplow_recommendations_ecommerce_items: the rows tagged 3.
CREATE OR REPLACE TEMPORARY TABLE rechost_rows_3 AS
SELECT "ITEM_ID", "PRICE", "CATEGORY_L1"
FROM (
  SELECT a.*,
    ROW_NUMBER() OVER (PARTITION BY a."ITEM_ID" ORDER BY a."derived_tstamp" DESC NULLS LAST, a."event_id" DESC NULLS LAST) AS rechost_rank
  FROM rechost_all_datasets a
  WHERE a."RECHOST_DATASET" = 3
)
WHERE rechost_rank = 1;

COPY INTO @analytics.recs.unload/personalize/snowplow_recommendations_ecommerce_items/personalize-dataset.csv
  FROM rechost_rows_3
  FILE_FORMAT = (TYPE = CSV COMPRESSION = NONE FIELD_DELIMITER = ',' FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE = '\\' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = ('') EMPTY_FIELD_AS_NULL = FALSE)
  HEADER = TRUE SINGLE = TRUE MAX_FILE_SIZE = 5368709120 OVERWRITE = TRUE;

COPY INTO @analytics.recs.unload/personalize/snowplow_recommendations_ecommerce_items/personalize-dataset.parquet
  FROM rechost_rows_3
  FILE_FORMAT = (TYPE = PARQUET)
  HEADER = TRUE SINGLE = TRUE MAX_FILE_SIZE = 5368709120 OVERWRITE = TRUE;
