"""A spec that does not fit the data fails with a message naming the key and the value, before any write."""

from __future__ import annotations

import copy

import pytest

import pipeline_transforms as pt
from conftest import INGESTED_AT_VALUE, make_spec, run_job, signups_spec, spec_fixture, write_processed

INPUT_COLUMNS = ["id", "name", "email", "signup_date", "status"]


def check(spark, spec: dict, *fragments: str):
    with pytest.raises(pt.SpecError) as caught:
        pt.validate_spec(spark, INPUT_COLUMNS, pt.parse_spec(spec))
    for fragment in fragments:
        assert fragment in str(caught.value)
    return str(caught.value)


def test_the_configured_specs_are_valid(spark):
    schema = pt.validate_spec(spark, INPUT_COLUMNS, pt.parse_spec(spec_fixture("signups")))
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
    schema = pt.validate_spec(spark, orders, pt.parse_spec(spec_fixture("orders")))
    assert schema["order_date"].dataType.simpleString() == "date"


def test_select_naming_a_missing_column(spark):
    check(spark, signups_spec(select=["user_id", "nickname", "signup_month"]), "transforms.select", "nickname")


def test_rename_of_a_missing_column_and_rename_onto_an_existing_one(spark):
    check(spark, signups_spec(rename={"nick": "nickname"}), "transforms.rename", '"nick"')
    check(spark, signups_spec(rename={"id": "user_id", "name": "email"}), 'two columns the name "email"')


def test_rename_or_derive_onto_a_lineage_column(spark):
    check(
        spark,
        signups_spec(rename={"id": "user_id", "name": "source_file"}),
        "transforms.rename",
        '"source_file"',
        "lineage column",
    )
    spec = signups_spec(derive=[{"name": "ingested_at", "expr": "1", "type": "int"}], select=None, partitionBy=[])
    check(spark, spec, "transforms.derive[0]", '"ingested_at"', "already exists")


def test_cast_of_a_missing_column(spark):
    check(spark, signups_spec(cast={"age": "int"}), "transforms.cast", '"age"')


def test_key_and_partition_column_must_be_selected(spark):
    check(spark, signups_spec(select=["full_name", "signup_month"]), "key names id (renamed user_id)")
    check(spark, signups_spec(partitionBy=["country"]), "transforms.partitionBy", '"country"')


def test_derived_column_with_an_existing_name(spark):
    spec = signups_spec(derive=[{"name": "email", "expr": "lower(email)", "type": "string"}], select=None)
    check(spark, spec, "transforms.derive[0]", '"email"', "already exists")


@pytest.mark.parametrize(
    "expr, reason",
    [
        ("substr(cast(signup_date as string), 1, 7", "PARSE_SYNTAX_ERROR"),  # does not parse
        ("substr(cast(signup_day as string), 1, 7)", "signup_day"),  # unknown column
        ("no_such_function(signup_date)", "no_such_function"),  # unknown function
    ],
)
def test_invalid_derive_expression(spark, expr, reason):
    spec = signups_spec(derive=[{"name": "signup_month", "expr": expr, "type": "string"}])
    check(spark, spec, "transforms.derive[0].expr", expr, reason)


def test_invalid_filter_expression_and_non_boolean_filter(spark):
    check(spark, signups_spec(filter="signup_date >= DATE '2000-01-01' AND"), "transforms.filter")
    check(spark, signups_spec(filter="user_id + 1"), "transforms.filter", "gives bigint, not boolean")


def test_stale_final_schema_is_reported(spark):
    spec = copy.deepcopy(spec_fixture("signups"))
    spec["finalSchema"]["columns"][0]["type"] = "int"
    check(spark, spec, 'finalSchema says column "user_id" is int', "transforms produce bigint")


def test_a_lineage_column_in_the_files_is_rejected(spark):
    spec = make_spec({"name": "t", "columns": [{"name": "id", "type": "integer"}], "extraColumns": "keep"})
    with pytest.raises(pt.SpecError, match='column "source_file"'):
        pt.validate_spec(spark, ["id", "source_file"], pt.parse_spec(spec))


def test_spec_shape_errors():
    with pytest.raises(pt.SpecError, match='"finalSchema" is missing'):
        pt.parse_spec({"dataset": spec_fixture("signups")["dataset"]})
    with pytest.raises(pt.SpecError, match="not valid JSON"):
        pt.load_spec("{nope")
    bad = copy.deepcopy(spec_fixture("signups"))
    bad["dataset"]["transforms"]["cast"] = {"id": "integer"}
    with pytest.raises(pt.SpecError, match='"integer" is not a cast type'):
        pt.parse_spec(bad)


def test_a_failing_spec_writes_nothing(spark, tmp_path):
    write_processed(tmp_path / "in", "a.csv", "id,name,email,signup_date,status\n1,A,a@x.io,2024-11-01,active\n", 1e9)
    with pytest.raises(pt.SpecError):
        run_job(spark, tmp_path / "in", tmp_path / "out", signups_spec(filter="no_such_column > 1"))
    assert not (tmp_path / "out").exists()


def test_transform_checks_before_reading(spark, tmp_path):
    # transform() analyses the plan only: a bad spec fails even when the input would fail to read
    df = spark.createDataFrame([("1",)], "id string").withColumn(pt.FILE_COLUMN, pt.F.lit("x.csv"))
    df = df.withColumn(pt.MTIME_COLUMN, pt.F.current_timestamp()).withColumn(pt.LINE_COLUMN, pt.F.lit(1).cast("bigint"))
    spec = make_spec({"name": "t", "columns": [{"name": "id", "type": "integer"}], "transforms": {"filter": "id >"}})
    with pytest.raises(pt.SpecError, match="transforms.filter"):
        pt.transform(df, pt.parse_spec(spec), INGESTED_AT_VALUE)
