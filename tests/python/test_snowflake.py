"""The Snowflake handler called exactly as Snowflake calls a vectorized UDTF: one DataFrame per
partition with the arguments as positional integer-named columns, a fresh handler instance per
partition; the concatenated output, reduced with pandas, must equal the local host's datasets."""

import json
import re
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import END, START, load_handler, registered_handlers, sorted_rows

ECOMMERCE = [
    "snowplow_recommendations_ecommerce_interactions",
    "snowplow_recommendations_ecommerce_users",
    "snowplow_recommendations_ecommerce_items",
]


def snowflake_partitions(domain, parts=4):
    """The source table as Snowflake would pass it: the UDTF's arguments in the plugin's
    source-column order (the window applied by the query), named 0..n-1, datetimes in ns."""
    df = pd.read_parquet(domain.sample, columns=domain.plugin.source_columns)
    time_column = json.loads(domain.plugin.manifest_json)["source"]["time_column"]
    day = df[time_column].dt.normalize()
    df = df[(day >= pd.Timestamp(START)) & (day <= pd.Timestamp(END))]
    df[time_column] = df[time_column].astype("datetime64[ns]")
    df.columns = range(len(df.columns))
    bounds = np.linspace(0, len(df), parts + 1).astype(int)
    return [df.iloc[a:b].reset_index(drop=True) for a, b in zip(bounds, bounds[1:])]


def reduce_pandas(plugin, dataset, df):
    """The host's entity rule in pandas: latest by latest-by (descending, NULL lowest)."""
    spec = next(d for d in json.loads(plugin.manifest_json)["datasets"] if d["name"] == dataset)
    reduction = spec["reduction"]
    if reduction["type"] == "entity":
        latest_by = [c["name"] for c in reduction["latest_by"]]
        # Stable sorts from the last key to the first, NULLs last in each: a lexicographic
        # descending order in which NULL counts lowest.
        for column in reversed(latest_by):
            df = df.sort_values(column, ascending=False, na_position="last", kind="stable")
        df = df.drop_duplicates(reduction["key"], keep="first")
    return df[[c["name"] for c in spec["columns"]]]


def returns_names(returns):
    """Column names of a RETURNS TABLE (...) list: `"USER_ID" VARCHAR, "PRICE" FLOAT, ...`."""
    return re.findall(r'"([^"]+)" [A-Z_]+(?:\([\d, ]+\))?', returns)


@pytest.mark.parametrize("dataset", ECOMMERCE)
def test_end_partition_equals_host(ecommerce, rechost_bin, dataset, monkeypatch):
    # The function body exactly as `rechost register --target snowflake` creates it; its
    # PLUGIN is the bare file name staged with IMPORTS, found in the import directory.
    functions = registered_handlers(rechost_bin, ecommerce, "snowflake")
    returns, module = functions[f"rechost_{dataset}"]
    monkeypatch.setitem(sys._xoptions, "snowflake_import_directory", str(ecommerce.wasm.parent))
    assert module.Handler.PLUGIN == ecommerce.wasm.name

    outputs = [module.Handler().end_partition(part) for part in snowflake_partitions(ecommerce)]
    assert len(outputs) == 4
    for output in outputs:
        # Snowflake maps the returned columns to RETURNS TABLE by position.
        assert list(output.columns) == returns_names(returns)
    result = reduce_pandas(ecommerce.plugin, dataset, pd.concat(outputs, ignore_index=True))
    actual = sorted_rows(pa.Table.from_pandas(result, preserve_index=False))
    expected = ecommerce.expected(dataset)
    assert actual[0] == expected[0], f"{dataset}: columns differ"
    assert len(actual[1]) == len(expected[1]), f"{dataset}: row count differs from the host's"
    assert actual[1] == expected[1], f"{dataset}: values differ from the host's"


def test_wrong_argument_count_is_named(ecommerce):
    module = load_handler(
        "snowflake", "RechostSnowflakeUdtf", DATASET=ECOMMERCE[0], PLUGIN=str(ecommerce.wasm)
    )
    part = snowflake_partitions(ecommerce)[0].drop(columns=[9])
    with pytest.raises(ValueError, match=r"expects 10 arguments \(event_id, .*got 9"):
        module.Handler().end_partition(part)


def test_plugin_error_raises_with_plugin_and_dataset(misbehave_wasm):
    module = load_handler(
        "snowflake", "RechostSnowflakeUdtf",
        DATASET="out", PLUGIN=str(misbehave_wasm), OPTIONS={"mode": "error"},
    )
    part = pd.DataFrame({0: ["a", "b"], 1: pd.to_datetime(["2024-03-01", "2024-03-02"])})
    with pytest.raises(RuntimeError) as raised:
        module.Handler().end_partition(part)
    message = str(raised.value)
    assert "deliberate error from the plugin" in message, message
    assert "misbehave.wasm" in message and "dataset out" in message, message


def test_unknown_dataset_is_named(ecommerce):
    module = load_handler(
        "snowflake", "RechostSnowflakeUdtf", DATASET="no_such_dataset", PLUGIN=str(ecommerce.wasm)
    )
    with pytest.raises(ValueError, match="no dataset \"no_such_dataset\""):
        module.Handler().end_partition(snowflake_partitions(ecommerce)[0])


# Snowflake passes text and nullable booleans as object columns; the runtime reads them natively.
TEXTS = ["a", "", None, "café", float("nan"), "日本語 🚀", "x" * 300, None]
FLAGS = [True, None, False, float("nan"), True]


@pytest.mark.parametrize(
    "values, convert",
    [(TEXTS, "text_from_objects"), (FLAGS, "booleans_from_objects")],
)
def test_object_columns_read_natively_equal_pyarrow(runtime, values, convert):
    objects = np.array(values * 3, dtype=object)
    for view in (objects, objects[::2]):  # contiguous, and a strided view
        native = getattr(runtime, convert)(view)
        assert native is not None, f"{convert} fell back on {values}"
        assert native.equals(pa.array(view, from_pandas=True)), native
        assert native.null_count == sum(v is None or v != v for v in view)


def test_object_columns_with_other_values_fall_back_to_pyarrow(runtime, ecommerce):
    assert runtime.text_from_objects(np.array(["a", 7, None], dtype=object)) is None
    assert runtime.text_from_objects(np.array(["a", True], dtype=object)) is None
    assert runtime.booleans_from_objects(np.array([True, "yes"], dtype=object)) is None
    # The handler then converts as before: pyarrow's own coercion, or its error named.
    module = load_handler(
        "snowflake", "RechostSnowflakeUdtf", DATASET=ECOMMERCE[0], PLUGIN=str(ecommerce.wasm)
    )
    # pandas.NA is missing too, for pyarrow.
    with_na = pd.Series(["a", pd.NA, None], dtype=object)
    assert runtime.text_from_objects(with_na.to_numpy()) is None
    assert module._to_arrow(with_na, "utf8").equals(pa.array(["a", None, None]))
    part = snowflake_partitions(ecommerce)[0].head(3).copy()
    part[1] = pd.Series(["u1", 7, None], dtype=object)
    with pytest.raises(ValueError, match=r"argument 2 \(domain_userid, utf8\) cannot be read"):
        module.Handler().end_partition(part)


def test_text_that_is_not_utf8_names_argument_and_row(ecommerce):
    module = load_handler(
        "snowflake", "RechostSnowflakeUdtf", DATASET=ECOMMERCE[0], PLUGIN=str(ecommerce.wasm)
    )
    part = snowflake_partitions(ecommerce)[0].head(3).copy()
    part[1] = pd.Series(["u1", "u2", "bad \udc80 surrogate"], dtype=object)
    with pytest.raises(ValueError, match=r"argument 2 \(domain_userid, utf8\).*row 3: not valid"):
        module.Handler().end_partition(part)


def test_all_datasets_of_a_partition_with_no_output_rows_is_empty_with_its_columns(ecommerce):
    module = load_handler(
        "snowflake", "RechostSnowflakeUdtf", ALL_DATASETS=True, PLUGIN=str(ecommerce.wasm)
    )
    part = snowflake_partitions(ecommerce)[0].head(50).copy()
    part[7] = part[8] = False  # neither a view nor a transaction: no dataset keeps the row
    output = module.Handler().end_partition(part)
    assert len(output) == 0
    assert list(output.columns) == [name for name, _ in ecommerce.plugin.all_datasets_columns]
    full = module.Handler().end_partition(snowflake_partitions(ecommerce)[0])
    assert len(full) > 0 and list(full.columns) == list(output.columns)
    assert (full.dtypes == output.dtypes).all(), (full.dtypes, output.dtypes)


def test_nanosecond_times_are_floored_to_microseconds(ecommerce):
    """TIMESTAMP_NTZ(9) hands over nanoseconds; the plugin reads microseconds, floored as the
    host's readers floor them (before 1970 too)."""
    module = load_handler(
        "snowflake", "RechostSnowflakeUdtf", ALL_DATASETS=True, PLUGIN=str(ecommerce.wasm)
    )
    part = snowflake_partitions(ecommerce)[0]
    finer = part.copy()
    finer[6] = finer[6] + pd.Timedelta(nanoseconds=789)
    assert (finer[6] != part[6]).all()
    expected = module.Handler().end_partition(part)
    pd.testing.assert_frame_equal(module.Handler().end_partition(finer), expected)
    before_1970 = pd.Series(pd.to_datetime([-1500, 1500, None], unit="ns"))
    micros = module._to_arrow(before_1970, "timestamp").cast(pa.int64()).to_pylist()
    assert micros == [-2, 1, None]
