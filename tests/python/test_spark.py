"""The Databricks/Spark handler inside a real local Spark: mapInArrow, the row UDTF and the
Arrow UDTF, each followed by the entity reduction in Spark SQL, must give exactly the local
host's datasets on the same sample."""

import json

import pytest
from pyspark.errors import PythonException

from conftest import END, START, load_handler, reduce_sql, sorted_rows

ECOMMERCE = [
    "snowplow_recommendations_ecommerce_interactions",
    "snowplow_recommendations_ecommerce_users",
    "snowplow_recommendations_ecommerce_items",
]
MEDIA = ["snowplow_recommendations_media_interactions"]


def spark_rows(df):
    return sorted_rows(df.toArrow())


def assert_same(actual, expected, dataset):
    (names, rows), (expected_names, expected_rows) = actual, expected
    assert names == expected_names, f"{dataset}: columns differ"
    assert len(rows) == len(expected_rows), f"{dataset}: {len(rows)} rows, host wrote {len(expected_rows)}"
    assert rows == expected_rows, f"{dataset}: values differ from the host's"


def source_view(spark, domain, name, time_type="timestamp_ntz"):
    """The sample as a view, its time column as TIMESTAMP_NTZ (how Spark reads a Parquet
    timestamp without zone) or TIMESTAMP (the Databricks tables' type; session zone UTC)."""
    source = spark.read.parquet(str(domain.sample))
    time_column = json.loads(domain.plugin.manifest_json)["source"]["time_column"]
    source.withColumn(time_column, source[time_column].cast(time_type)).createOrReplaceTempView(name)
    return name


def window_predicate(domain):
    time_column = json.loads(domain.plugin.manifest_json)["source"]["time_column"]
    return f"to_date(`{time_column}`) BETWEEN DATE'{START}' AND DATE'{END}'"


@pytest.mark.parametrize("domain_name, datasets", [("ecommerce", ECOMMERCE), ("media", MEDIA)])
def test_map_in_arrow_equals_host(spark, request, domain_name, datasets):
    domain = request.getfixturevalue(domain_name)
    handler = load_handler("databricks")
    # Several input partitions, so the plugin sees many batches in several tasks.
    source = spark.read.parquet(str(domain.sample)).repartition(3)
    for dataset in datasets:
        f = handler.map_in_arrow(domain.wasm, dataset, start_date=START, end_date=END)
        schema = handler.spark_schema(str(domain.wasm), dataset)
        source.mapInArrow(f, schema).createOrReplaceTempView("transformed")
        result = spark.sql(reduce_sql(domain.plugin, dataset, "transformed"))
        assert_same(spark_rows(result), domain.expected(dataset), dataset)


def test_map_in_arrow_all_datasets_equals_host(spark, ecommerce):
    """Every dataset in one pass (a batch per dataset, tagged): split by the tag and reduced,
    each dataset is exactly the host's."""
    handler = load_handler("databricks")
    source = spark.read.parquet(str(ecommerce.sample)).repartition(3)
    f = handler.map_in_arrow(ecommerce.wasm, None, start_date=START, end_date=END)
    schema = handler.spark_schema(str(ecommerce.wasm), None)
    source.mapInArrow(f, schema).createOrReplaceTempView("tagged")
    union = [name for name, _ in ecommerce.plugin.all_datasets_columns]
    for tag, dataset in enumerate(ecommerce.plugin.datasets, start=1):
        names = [name for name, _ in handler.returned_columns(ecommerce.plugin, dataset)]
        assert set(names) <= set(union), f"{dataset}: a column was renamed in the union"
        columns = ", ".join(f"`{name}`" for name in names)
        spark.sql(f"SELECT {columns} FROM tagged WHERE RECHOST_DATASET = {tag}") \
            .createOrReplaceTempView("transformed")
        result = spark.sql(reduce_sql(ecommerce.plugin, dataset, "transformed"))
        assert_same(spark_rows(result), ecommerce.expected(dataset), dataset)


@pytest.mark.parametrize(
    "base, time_type",
    [("RechostDatabricksUdtf", "timestamp"), ("RechostDatabricksArrowUdtf", "timestamp_ntz")],
)
@pytest.mark.parametrize("domain_name, datasets", [("ecommerce", ECOMMERCE), ("media", MEDIA)])
def test_udtf_from_sql_equals_host(spark, request, domain_name, datasets, base, time_type):
    domain = request.getfixturevalue(domain_name)
    view = source_view(spark, domain, f"{domain_name}_events", time_type)
    columns = ", ".join(f"`{c}`" for c in domain.plugin.source_columns)
    for dataset in datasets:
        module = load_handler(
            "databricks", base, DATASET=dataset, PLUGIN=str(domain.wasm), OPTIONS={}
        )
        spark.udtf.register(f"rechost_{dataset}", module.spark_udtf(module.Handler))
        transformed = (
            f"rechost_{dataset}(TABLE(SELECT {columns} FROM {view} "
            f"WHERE {window_predicate(domain)}))"
        )
        result = spark.sql(reduce_sql(domain.plugin, dataset, transformed))
        assert_same(spark_rows(result), domain.expected(dataset), dataset)


def test_udtf_names_a_missing_column(spark, ecommerce):
    view = source_view(spark, ecommerce, "ecommerce_events")
    dataset = ECOMMERCE[1]
    module = load_handler(
        "databricks", "RechostDatabricksUdtf", DATASET=dataset, PLUGIN=str(ecommerce.wasm)
    )
    spark.udtf.register("rechost_broken", module.spark_udtf(module.Handler))
    with pytest.raises(PythonException) as raised:
        spark.sql(
            f"SELECT * FROM rechost_broken(TABLE(SELECT event_id, product_id FROM {view}))"
        ).collect()
    message = str(raised.value)
    assert "lacks column(s) domain_userid" in message, message
    assert dataset in message and "ecommerce.wasm" in message, message


def test_map_in_arrow_reports_a_plugin_trap(spark, runtime, misbehave_wasm):
    handler = load_handler("databricks")
    events = spark.sql(
        "SELECT CAST(id AS STRING) AS id, TIMESTAMP_NTZ'2024-03-05 10:00:00' AS ts FROM range(10)"
    )
    f = handler.map_in_arrow(misbehave_wasm, "out", options={"mode": "trap"})
    with pytest.raises(PythonException) as raised:
        events.mapInArrow(f, handler.spark_schema(str(misbehave_wasm), "out")).collect()
    message = str(raised.value)
    assert "deliberate trap" in message and "misbehave.wasm" in message, message
