"""The dbt package's ecommerce datasets computed by DuckDB, as a user would run them on a Parquet
export: interactions, users and items (one row per id via QUALIFY row_number()), each written
as CSV and Parquet. Usage: duckdb_seed.py INPUT.parquet OUT_DIR START END THREADS"""

import os
import sys

import duckdb

source, out, start, end, threads = sys.argv[1:6]
con = duckdb.connect()
con.execute(f"SET threads = {int(threads)}")
con.execute(
    f"""
    CREATE TEMP TABLE base AS
    SELECT coalesce(ecommerce_user_id, domain_userid) AS user_id, *
    FROM read_parquet('{source}')
    WHERE (is_product_view OR is_product_transaction)
      AND CAST(derived_tstamp AS DATE) BETWEEN DATE '{start}' AND DATE '{end}'
      AND coalesce(ecommerce_user_id, domain_userid) <> '' AND product_id <> ''
    """
)
queries = {
    "interactions": """
        SELECT user_id AS USER_ID, product_id AS ITEM_ID,
               CAST(floor(epoch_us(derived_tstamp) / 1000000) AS BIGINT) AS "TIMESTAMP",
               CASE WHEN is_product_view THEN 'View' ELSE 'Purchase' END AS EVENT_TYPE
        FROM base""",
    "users": """
        SELECT user_id AS USER_ID,
               CASE WHEN coalesce(ecommerce_user_is_guest, ecommerce_user_id IS NULL)
                    THEN 'true' ELSE 'false' END AS ECOMMERCE_USER_IS_GUEST
        FROM base
        QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY derived_tstamp DESC, event_id DESC) = 1""",
    "items": """
        SELECT product_id AS ITEM_ID, product_price AS PRICE,
               replace(product_category, '/', '|') AS CATEGORY_L1
        FROM base
        QUALIFY row_number() OVER (PARTITION BY product_id ORDER BY derived_tstamp DESC, event_id DESC) = 1""",
}
for name, query in queries.items():
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    con.execute(f"COPY ({query}) TO '{folder}/personalize-dataset.csv' (HEADER, ESCAPE '\\')")
    con.execute(f"COPY ({query}) TO '{folder}/personalize-dataset.parquet' (FORMAT PARQUET)")
