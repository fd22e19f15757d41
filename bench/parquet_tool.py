"""Small Parquet chores for the benches, run by DuckDB in a process of their own (so the
bench's own process stays small: a forked run would inherit its peak RSS).

Usage: parquet_tool.py sort-by-time IN OUT   rows of IN ordered by derived_tstamp, as OUT
       parquet_tool.py rows FILE             prints FILE's row count, from its footer
       parquet_tool.py foreign ROWS OUT      ecommerce rows made by DuckDB, not by rechost
                                             sample (see `foreign`)"""

import sys

import duckdb

# Ecommerce rows of shapes `rechost sample` cannot make, in time order: users with a heavy
# head (a few bot-like users with thousands of events) and a long tail, 64-character ids, 30%
# of users logged in with 64-character hashed login ids and 20% with an unknown guest flag;
# 50k SKU-like items of 5 to 41 characters, cubic popularity; non-ASCII categories, 5% of
# them NULL, 2% NULL prices; 15 days of events from 2024-02-25, so a window of 2024-03-01 to
# 2024-03-10 leaves a third of the rows outside it.
FOREIGN = """
COPY (
WITH base AS (
  SELECT CAST(floor(pow(random(), 3) * {users}) AS BIGINT) AS u,
         CAST(floor(pow(random(), 2.5) * 50000) AS BIGINT) AS p,
         random() AS r
  FROM range({rows})
)
SELECT
  uuid()::VARCHAR AS event_id,
  md5('u' || u) || md5('v' || u) AS domain_userid,
  CASE WHEN u % 10 < 3 THEN sha256('mail' || u) END AS ecommerce_user_id,
  TIMESTAMP '2024-02-25' + to_microseconds(CAST(floor(random() * 15 * 86400e6) AS BIGINT))
    AS derived_tstamp,
  CASE WHEN r < 0.55 THEN 'product_view' WHEN r < 0.62 THEN 'add_to_cart'
       WHEN r < 0.66 THEN 'transaction' WHEN r < 0.8 THEN 'list_view' ELSE 'list_click' END
    AS ecommerce_action_type,
  'SKU-' || p || repeat('-x', CAST(p % 17 AS INTEGER)) AS product_id,
  CASE WHEN p % 20 <> 0 THEN (['Küche/Töpfe & Pfannen', '家電/キッチン',
      'Électroménager/Cafetières', 'Sports/Outdoor/Camping', 'Books',
      'Beauté/Soins du visage/Sérums anti-âge'])[1 + p % 6] || '/' || (p % 40) END
    AS product_category,
  CASE WHEN p % 50 <> 0 THEN round(1 + (p % 997) * 1.37, 2) END AS product_price,
  r < 0.55 AS is_product_view,
  r >= 0.62 AND r < 0.66 AS is_product_transaction,
  CASE WHEN u % 10 < 3 THEN false WHEN u % 10 >= 5 THEN true END AS ecommerce_user_is_guest
FROM base ORDER BY derived_tstamp
) TO '{out}' (FORMAT parquet)
"""


def main():
    command, *args = sys.argv[1:]
    con = duckdb.connect()
    if command == "sort-by-time":
        source, out = args
        con.execute(f"COPY (SELECT * FROM read_parquet('{source}') ORDER BY derived_tstamp) "
                    f"TO '{out}' (FORMAT parquet)")
    elif command == "rows":
        (path,) = args
        print(con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata('{path}')")
              .fetchone()[0])
    elif command == "foreign":
        rows, out = int(args[0]), args[1]
        con.execute("SELECT setseed(0.42)")
        # A pool of rows / 7 users: about 690k distinct at 5M rows (issue 15 saw 600k).
        con.execute(FOREIGN.format(users=rows // 7, rows=rows, out=out))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
