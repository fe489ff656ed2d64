"""Each transform step of TRANSFORMS.md on small processed files, read the way the jobs read them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pipeline_transforms as pt
from conftest import INGESTED_AT_VALUE, frame, make_spec, read_files, write_processed

T0 = 1_700_000_000.0  # file modification times, epoch seconds


def run(spark, tmp_path, files, dataset):
    spec = pt.parse_spec(make_spec(dataset))
    df = pt.transform(frame(spark, files, tmp_path), spec, INGESTED_AT_VALUE)
    return df, [r.asDict() for r in df.collect()]


def by(rows, column):
    return sorted(rows, key=lambda r: (r[column] is None, r[column]))


def test_cast_to_config_types_with_failures_as_null(spark, tmp_path):
    dataset = {
        "name": "t",
        "columns": [
            {"name": "n", "type": "integer"},
            {"name": "d", "type": "decimal"},
            {"name": "b", "type": "boolean"},
            {"name": "day", "type": "date"},
            {"name": "at", "type": "timestamp"},
            {"name": "s", "type": "enum", "values": ["x"]},
        ],
    }
    text = (
        "n,d,b,day,at,s\n"
        "-12,12.50,true,2024-11-05,2024-11-05T10:11:12.345,x\n"
        "abc,1e999x,maybe,2024-13-45,not a time,\n"
        '"",,false,2024-02-29,2024-11-05T10:11:12,""\n'
    )
    df, rows = run(spark, tmp_path, {"a.csv": (T0, text)}, dataset)
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    assert types == {
        "n": "bigint",
        "d": "decimal(18,2)",  # the plan's type: decimal columns are exact (default precision and scale)
        "b": "boolean",
        "day": "date",
        "at": "timestamp",
        "s": "string",
        "source_file": "string",
        "ingested_at": "timestamp",
    }
    rows = by(rows, "n")
    assert rows[0] == {
        "n": -12,
        "d": Decimal("12.50"),
        "b": True,
        "day": dt.date(2024, 11, 5),
        "at": dt.datetime(2024, 11, 5, 10, 11, 12, 345000),
        "s": "x",
        "source_file": "a.csv",
        "ingested_at": INGESTED_AT_VALUE,
    }
    # values that do not cast are null; empty fields (quoted or not) are null
    assert [rows[1][c] for c in ("n", "d", "b", "day", "at", "s")] == [None, None, None, None, None, None]
    assert [rows[2][c] for c in ("n", "d", "b", "day", "s")] == [None, None, False, dt.date(2024, 2, 29), None]


def test_cast_override_undeclared_columns_and_absent_config_columns(spark, tmp_path):
    dataset = {
        "name": "t",
        "columns": [
            {"name": "id", "type": "integer"},
            {"name": "score", "type": "string"},
            {"name": "paid", "type": "boolean"},
        ],
        "transforms": {"cast": {"score": "double"}},
    }
    df, rows = run(spark, tmp_path, {"a.csv": (T0, "id,score,zeta,alpha\n1,2.5,z,007\n")}, dataset)
    types = [(f.name, f.dataType.simpleString()) for f in df.schema.fields]
    # config columns, then undeclared columns by name (kept as strings), then lineage
    assert types == [
        ("id", "bigint"),
        ("score", "double"),
        ("paid", "boolean"),
        ("alpha", "string"),
        ("zeta", "string"),
        ("source_file", "string"),
        ("ingested_at", "timestamp"),
    ]
    assert rows[0]["score"] == 2.5 and rows[0]["paid"] is None and rows[0]["alpha"] == "007"


def test_rename_then_derive_in_order_then_filter_sees_unselected_columns(spark, tmp_path):
    dataset = {
        "name": "t",
        "columns": [
            {"name": "id", "type": "integer"},
            {"name": "amount", "type": "decimal"},
            {"name": "at", "type": "timestamp"},
        ],
        "transforms": {
            "rename": {"amount": "total"},
            "derive": [
                {"name": "day", "expr": "cast(at as date)", "type": "date"},
                {"name": "month", "expr": "substr(cast(day as string), 1, 7)", "type": "string"},
                {"name": "cents", "expr": "total * 100", "type": "bigint"},
            ],
            "filter": "total > 0",
            "select": ["month", "id", "cents"],
        },
    }
    text = (
        "id,amount,at\n1,10.25,2024-11-30T23:59:59\n2,0,2024-11-01T00:00:00\n3,,2024-12-01T00:00:00\n"
        "4,-1,2024-12-01T00:00:00\n5,3,2025-01-02T03:04:05\n"
    )
    df, rows = run(spark, tmp_path, {"a.csv": (T0, text)}, dataset)
    assert df.columns == ["month", "id", "cents", "source_file", "ingested_at"]
    # 0 and -1 are not > 0 (false), an empty amount gives null: all dropped
    assert [(r["id"], r["month"], r["cents"]) for r in by(rows, "id")] == [(1, "2024-11", 1025), (5, "2025-01", 300)]


def test_select_absent_keeps_all_columns_in_final_order(spark, tmp_path):
    dataset = {
        "name": "t",
        "columns": [{"name": "b", "type": "string"}, {"name": "a", "type": "string"}],
        "transforms": {"rename": {"b": "bee"}, "derive": [{"name": "c", "expr": "concat(a, bee)"}]},
    }
    df, rows = run(spark, tmp_path, {"a.csv": (T0, "a,b,extra\n1,2,x\n")}, dataset)
    assert df.columns == ["bee", "a", "c", "extra", "source_file", "ingested_at"]
    assert rows[0]["c"] == "12"


def test_dedupe_keeps_the_row_from_the_newest_file_then_the_last_line(spark, tmp_path):
    dataset = {
        "name": "t",
        "key": ["id"],
        "columns": [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}],
        "transforms": {"rename": {"id": "user_id"}},
    }
    files = {
        # newest by modification time, although its name sorts first
        "a_new.csv": (T0 + 100, "id,v\n1,new\n"),
        "z_old.csv": (T0, "id,v\n1,old\n2,first\n2,second\n3,only\n"),
        # same modification time as z_old: the greater base name wins the tie
        "y_same_time.csv": (T0, "id,v\n3,loses-tie\n"),
    }
    _, rows = run(spark, tmp_path, files, dataset)
    got = {r["user_id"]: (r["v"], r["source_file"]) for r in rows}
    assert got == {1: ("new", "a_new.csv"), 2: ("second", "z_old.csv"), 3: ("only", "z_old.csv")}


def test_dedupe_tie_is_broken_by_the_base_name_not_the_folder(spark, tmp_path):
    dataset = {
        "name": "t",
        "key": ["id"],
        "columns": [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}],
    }
    folder = tmp_path / "processed"
    # equal modification times: b.csv wins by base name although z/a.csv has the greater path
    paths = [
        write_processed(folder / "z", "a.csv", "id,v\n1,from-a\n", T0),
        write_processed(folder / "a", "b.csv", "id,v\n1,from-b\n", T0),
    ]
    spec = pt.parse_spec(make_spec(dataset))
    rows = [r.asDict() for r in pt.transform(read_files(spark, paths), spec, INGESTED_AT_VALUE).collect()]
    assert [(r["v"], r["source_file"]) for r in rows] == [("from-b", "b.csv")]


def test_dedupe_treats_null_keys_as_one_key(spark, tmp_path):
    dataset = {
        "name": "t",
        "key": ["k1", "k2"],
        "columns": [
            {"name": "k1", "type": "integer"},
            {"name": "k2", "type": "string"},
            {"name": "v", "type": "string"},
        ],
    }
    text = "k1,k2,v\n,x,a\n,x,b\n1,,c\n1,,d\n,,e\n,,f\n1,x,g\n"
    _, rows = run(spark, tmp_path, {"a.csv": (T0, text)}, dataset)
    assert sorted(r["v"] for r in rows) == ["b", "d", "f", "g"]


def test_multiline_quoted_fields_unicode_and_schema_union_across_files(spark, tmp_path):
    dataset = {
        "name": "t",
        "columns": [
            {"name": "id", "type": "integer"},
            {"name": "name", "type": "string"},
            {"name": "note", "type": "string"},
        ],
    }
    files = {
        "old.csv": (T0, 'id,name\n1,"Gómez, ""Carla""\nsecond line"\n2,李\n'),
        "new.csv": (T0 + 1, "id,name,note\n3,Zoë,added later\n"),
    }
    _, rows = run(spark, tmp_path, files, dataset)
    got = {r["id"]: (r["name"], r["note"]) for r in rows}
    assert got == {1: ('Gómez, "Carla"\nsecond line', None), 2: ("李", None), 3: ("Zoë", "added later")}


def test_lineage_columns(spark, tmp_path):
    dataset = {"name": "t", "columns": [{"name": "id", "type": "integer"}]}
    _, rows = run(spark, tmp_path, {"part-1.csv": (T0, "id\n1\n"), "part-2.csv": (T0, "id\n2\n")}, dataset)
    assert {(r["id"], r["source_file"]) for r in rows} == {(1, "part-1.csv"), (2, "part-2.csv")}
    assert {r["ingested_at"] for r in rows} == {INGESTED_AT_VALUE}


def test_final_column_order_puts_extras_between_declared_and_lineage():
    spec = pt.parse_spec(
        make_spec(
            {
                "name": "t",
                "columns": [{"name": "b", "type": "string"}, {"name": "p", "type": "string"}],
                "transforms": {"partitionBy": ["p"]},
            }
        )
    )
    order = pt.final_column_order(["ingested_at", "zz", "p", "b", "source_file", "aa", pt.FILE_COLUMN], spec)
    assert order == ["b", "aa", "zz", "source_file", "ingested_at", "p"]


def test_the_job_runs_the_generated_spark_sql_not_the_config_text(spark, tmp_path):
    """Derive and filter run the plan's generated Spark SQL (config/transform-plan.ts), never the text: here upper() is
    ASCII-only as both engines define it (TRANSFORMS.md), where Spark's own upper('straße') would give 'STRASSE'."""
    dataset = {
        "name": "t",
        "columns": [{"name": "name", "type": "string"}, {"name": "n", "type": "integer"}],
        "transforms": {"derive": [{"name": "shout", "expr": "upper(name)", "type": "string"}], "filter": "n > 1"},
    }
    spec = make_spec(dataset)
    # Replace the generated SQL (only a hand-edited plan differs from its text) to show which one runs.
    spec["derive"][0]["sql"]["spark"] = "CAST(regexp_replace(regexp_replace(`name`, 'ß', 'ß'), '[a-z]', '') AS string)"
    spec["filter"]["sql"]["spark"] = "(`n` > 2)"
    parsed = pt.parse_spec(spec)
    df = pt.transform(frame(spark, {"a.csv": (T0, "name,n\nstraße,2\nzoë,3\n")}, tmp_path), parsed, INGESTED_AT_VALUE)
    rows = [r.asDict() for r in df.collect()]
    # The generated filter (n > 2), not the text's (n > 1), decided; the generated derive, not upper(), computed.
    assert [(r["name"], r["shout"]) for r in rows] == [("zoë", "ë")]
