"""The job executes the TransformPlan it is given: the config loader is the one place that checks a spec, so a
bad dataset is refused when its spec is built, and a spec of another kind, version or shape is refused here with
one message naming datasetJobSpec, before anything is read or written."""

from __future__ import annotations

import copy

import pytest

import pipeline_transforms as pt
from conftest import INGESTED_AT_VALUE, SpecBuildError, make_spec, run_job, signups_spec, spec_fixture, write_processed

INPUT_COLUMNS = ["id", "name", "email", "signup_date", "status"]


def test_the_configured_specs_run(spark):
    schema = pt.output_schema(spark, INPUT_COLUMNS, pt.parse_spec(spec_fixture("signups")))
    assert [f.name for f in schema.fields] == [
        "user_id",
        "full_name",
        "email",
        "signup_date",
        "status",
        "source_file",
        "ingested_at",
        "signup_month",
    ]
    orders = ["order_id", "customer_email", "ordered_at", "amount", "currency", "paid"]
    schema = pt.output_schema(spark, orders, pt.parse_spec(spec_fixture("orders")))
    assert schema["order_date"].dataType.simpleString() == "date"


def test_a_bad_dataset_is_refused_by_the_builder_with_the_loaders_messages():
    with pytest.raises(SpecBuildError) as caught:
        signups_spec(select=["user_id", "nickname", "signup_month"], filter="full_name")
    message = str(caught.value)
    assert "transforms.select[1]" in message and "nickname" in message
    assert "transforms.filter" in message and "condition" in message


@pytest.mark.parametrize(
    "change",
    [
        lambda s: {"dataset": {"name": "signups"}, "finalSchema": s["finalSchema"]},  # the shape before the plan
        lambda s: {**s, "version": s["version"] - 1},
        lambda s: {**s, "kind": "something else"},
        lambda s: {**s, "names": {**s["names"], "lineage": {"sourceFile": "file", "ingestedAt": "at"}}},
        lambda s: {k: v for k, v in s.items() if k != "finalSchema"},
        [],
    ],
    ids=["old-shape", "old-version", "other-kind", "other-names", "missing-part", "not-an-object"],
)
def test_a_spec_this_module_does_not_run_is_refused_with_one_message(change):
    spec = spec_fixture("signups")
    bad = change(copy.deepcopy(spec)) if callable(change) else change
    with pytest.raises(pt.SpecError) as caught:
        pt.parse_spec(bad)
    assert "datasetJobSpec(dataset) (config/job-spec.ts)" in str(caught.value)


def test_spec_text_that_is_not_json():
    with pytest.raises(pt.SpecError, match="not valid JSON"):
        pt.load_spec("{nope")


def _with_filter_sql(spec: dict, sql: str) -> dict:
    """A built spec whose generated Spark SQL was replaced (what only a hand-edited spec can hold)."""
    spec = copy.deepcopy(spec)
    spec["filter"] = {**spec["filter"], "sql": {**spec["filter"]["sql"], "spark": sql}}
    return spec


def test_a_spec_spark_cannot_run_fails_before_anything_is_written(spark, tmp_path):
    write_processed(tmp_path / "in", "a.csv", "id,name,email,signup_date,status\n1,A,a@x.io,2024-11-01,active\n", 1e9)
    spec = _with_filter_sql(signups_spec(filter="user_id > 0"), "`no_such_column` > 1")
    with pytest.raises(pt.SpecError, match="transforms.filter"):
        run_job(spark, tmp_path / "in", tmp_path / "out", spec)
    assert not (tmp_path / "out").exists()


def test_transform_fails_at_analysis_before_reading(spark):
    df = spark.createDataFrame([("1",)], "id string").withColumn(pt.FILE_COLUMN, pt.F.lit("x.csv"))
    df = df.withColumn(pt.MTIME_COLUMN, pt.F.current_timestamp()).withColumn(pt.LINE_COLUMN, pt.F.lit(1).cast("bigint"))
    spec = make_spec({"name": "t", "columns": [{"name": "id", "type": "integer"}], "transforms": {"filter": "id > 0"}})
    with pytest.raises(pt.SpecError, match="transforms.filter"):
        pt.transform(df, pt.parse_spec(_with_filter_sql(spec, "`id` >")), INGESTED_AT_VALUE)
