-- rechost snowplow-ecommerce 0.1.0: in-warehouse run over main.derived.snowplow_ecommerce_product_interactions, 2024-03-01 to 2024-03-10 (UTC, inclusive)

-- Row UDTFs see TIMESTAMP values as local wall-clock times of the Python worker: hand them
-- UTC wall-clock times (TIMESTAMP_NTZ) instead, computed from the instant (microseconds since
-- the epoch) so that no statement depends on the session time zone and the script also runs
-- as one compound statement (BEGIN ... END refuses SET TIME ZONE).

-- The plugin runs once per source row: the rows of every dataset, tagged with `RECHOST_DATASET`,
-- are written once, here (a temporary view would run the function again for each reader, and
-- a SQL warehouse has no CACHE TABLE). The folder name starts with `_`, so Spark and rechost
-- never read it as a dataset, and the next run overwrites it.
INSERT OVERWRITE DIRECTORY 's3://bucket/personalize/_rechost_all_datasets'
  USING PARQUET
  SELECT * FROM main.recs.rechost_snowplow_ecommerce_all_datasets(TABLE(
    SELECT event_id, domain_userid, ecommerce_user_id, product_id, product_category, product_price, timestampadd(MICROSECOND, unix_micros(derived_tstamp), TIMESTAMP_NTZ '1970-01-01 00:00:00') AS derived_tstamp, is_product_view, is_product_transaction, ecommerce_user_is_guest
    FROM main.derived.snowplow_ecommerce_product_interactions
    WHERE derived_tstamp >= TIMESTAMP '2024-03-01 00:00:00Z' AND derived_tstamp < TIMESTAMP '2024-03-11 00:00:00Z'
  ));

-- snowplow_recommendations_ecommerce_interactions: the rows tagged 1.
CREATE OR REPLACE TEMPORARY VIEW rechost_rows_1 AS
SELECT `USER_ID`, `ITEM_ID`, `TIMESTAMP`, `EVENT_TYPE`
FROM (
  SELECT *
  FROM parquet.`s3://bucket/personalize/_rechost_all_datasets`
  WHERE `RECHOST_DATASET` = 1
);

INSERT OVERWRITE DIRECTORY 's3://bucket/personalize/snowplow_recommendations_ecommerce_interactions/parquet'
  USING PARQUET
  SELECT /*+ COALESCE(1) */ * FROM rechost_rows_1;

-- The CSV copy reads the Parquet just written: the split and reduction run once per dataset.
INSERT OVERWRITE DIRECTORY 's3://bucket/personalize/snowplow_recommendations_ecommerce_interactions/csv'
  USING CSV OPTIONS (header 'true', quote '"', escape '\\', escapeQuotes 'true', nullValue '', emptyValue '""')
  SELECT /*+ COALESCE(1) */ * FROM parquet.`s3://bucket/personalize/snowplow_recommendations_ecommerce_interactions/parquet`;

-- snowplow_recommendations_ecommerce_users: the rows tagged 2.
CREATE OR REPLACE TEMPORARY VIEW rechost_rows_2 AS
SELECT `USER_ID`, `ECOMMERCE_USER_IS_GUEST`
FROM (
  SELECT *,
    row_number() OVER (PARTITION BY `USER_ID` ORDER BY `derived_tstamp` DESC NULLS LAST, `event_id` DESC NULLS LAST) AS rechost_rank
  FROM parquet.`s3://bucket/personalize/_rechost_all_datasets`
  WHERE `RECHOST_DATASET` = 2
)
WHERE rechost_rank = 1;

INSERT OVERWRITE DIRECTORY 's3://bucket/personalize/snowplow_recommendations_ecommerce_users/parquet'
  USING PARQUET
  SELECT /*+ COALESCE(1) */ * FROM rechost_rows_2;

-- The CSV copy reads the Parquet just written: the split and reduction run once per dataset.
INSERT OVERWRITE DIRECTORY 's3://bucket/personalize/snowplow_recommendations_ecommerce_users/csv'
  USING CSV OPTIONS (header 'true', quote '"', escape '\\', escapeQuotes 'true', nullValue '', emptyValue '""')
  SELECT /*+ COALESCE(1) */ * FROM parquet.`s3://bucket/personalize/snowplow_recommendations_ecommerce_users/parquet`;

-- snowplow_recommendations_ecommerce_items: the rows tagged 3.
CREATE OR REPLACE TEMPORARY VIEW rechost_rows_3 AS
SELECT `ITEM_ID`, `PRICE`, `CATEGORY_L1`
FROM (
  SELECT *,
    row_number() OVER (PARTITION BY `ITEM_ID` ORDER BY `derived_tstamp` DESC NULLS LAST, `event_id` DESC NULLS LAST) AS rechost_rank
  FROM parquet.`s3://bucket/personalize/_rechost_all_datasets`
  WHERE `RECHOST_DATASET` = 3
)
WHERE rechost_rank = 1;

INSERT OVERWRITE DIRECTORY 's3://bucket/personalize/snowplow_recommendations_ecommerce_items/parquet'
  USING PARQUET
  SELECT /*+ COALESCE(1) */ * FROM rechost_rows_3;

-- The CSV copy reads the Parquet just written: the split and reduction run once per dataset.
INSERT OVERWRITE DIRECTORY 's3://bucket/personalize/snowplow_recommendations_ecommerce_items/csv'
  USING CSV OPTIONS (header 'true', quote '"', escape '\\', escapeQuotes 'true', nullValue '', emptyValue '""')
  SELECT /*+ COALESCE(1) */ * FROM parquet.`s3://bucket/personalize/snowplow_recommendations_ecommerce_items/parquet`;
