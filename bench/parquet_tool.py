"""Small Parquet chores for the benches, run by DuckDB in a process of their own (so the
bench's own process stays small: a forked run would inherit its peak RSS).

Usage: parquet_tool.py sort-by-time IN OUT   rows of IN ordered by derived_tstamp, as OUT
       parquet_tool.py rows FILE             prints FILE's row count, from its footer"""

import sys

import duckdb


def main():
    command, *paths = sys.argv[1:]
    con = duckdb.connect()
    if command == "sort-by-time":
        source, out = paths
        con.execute(f"COPY (SELECT * FROM read_parquet('{source}') ORDER BY derived_tstamp) "
                    f"TO '{out}' (FORMAT parquet)")
    elif command == "rows":
        (path,) = paths
        print(con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata('{path}')")
              .fetchone()[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
