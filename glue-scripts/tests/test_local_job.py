"""The whole local job: processed CSV files in, a partitioned Iceberg table out; re-runs, increments, schema evolution."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pytest

import pipeline_transforms as pt
from conftest import (
    FIXTURES,
    GLUE_SCRIPTS,
    INGESTED_AT_VALUE,
    make_spec,
    read_output,
    table_frame,
    run_job,
    signups_spec,
    spec_fixture,
    write_processed,
)

SIGNUPS_HEADER = "id,name,email,signup_date,status\n"


def signup(user_id, name, email, day, status, source="signups.csv", at=INGESTED_AT_VALUE):
    return {
        "user_id": user_id,
        "full_name": name,
        "email": email,
        "signup_date": dt.date.fromisoformat(day),
        "status": status,
        "source_file": source,
        "ingested_at": at,
        "signup_month": day[:7],
    }


# sample-data/signups.csv after preprocessing (fixtures/processed/signups/signups.csv), through the config's transforms
SAMPLE_EXPECTED = [
    signup(1, "John Doe", "john@example.com", "2024-11-01", "active"),
    signup(2, "Jane Smith", "jane@example.com", "2024-11-02", "inactive"),
    signup(3, "Alice Brown", "alice@example.com", "2024-11-02", "active"),
    signup(4, "Bob Martin", "bob.martin@example.com", "2024-11-03", "active"),
    signup(5, "Carla Gómez", "carla@example.com", "2024-11-03", "pending"),
    signup(6, "Lee, Min-jun", "minjun@example.com", "2024-11-04", "active"),
    signup(11, "Grace Hopper", "grace@example.com", "2024-11-05", "active"),
    signup(12, "Hiro Tanaka", "hiro@example.com", "2024-11-06", "active"),
    signup(13, "Ivy Chen", "ivy@example.com", "2024-11-06", "inactive"),
    signup(15, 'Lena "LJ" Jones', "lena@example.com", "2024-11-07", "active"),
    signup(16, "'=HYPERLINK(1)", "mallory@example.com", "2024-11-08", "pending"),
    signup(17, "Noah Kim", "noah@example.com", "2024-11-08", "active"),
    signup(18, "Olivia Park", "olivia@example.com", "2024-11-08", "active"),
]


def by_id(rows):
    return sorted(rows, key=lambda r: r["user_id"])


@pytest.fixture
def sample_input(tmp_path):
    folder = tmp_path / "processed" / "signups"
    shutil.copytree(FIXTURES / "processed" / "signups", folder)
    return folder


def data_files(out) -> list[str]:
    """The current snapshot's data files, relative to the table folder (the list local_job publishes)."""
    return json.loads((out / "snapshot-files.json").read_text())["files"]


def test_sample_signups_to_a_partitioned_iceberg_table(spark, tmp_path, sample_input):
    out = tmp_path / "final_output" / "signups"
    summary = run_job(spark, sample_input, out, spec_fixture("signups"))
    assert summary["rowsIn"] == 13 and summary["rowsOut"] == 13 and summary["partitions"] == ["signup_month=2024-11"]
    assert summary["tableRows"] == 13 and summary["rowsWritten"] == 13
    assert by_id(read_output(spark, out)) == SAMPLE_EXPECTED
    files = data_files(out)
    assert len(files) == 1 and files[0].startswith("data/signup_month=2024-11/") and files[0].endswith(".parquet")
    assert (out / "metadata").is_dir()
    # the table's columns: finalSchema's data columns in order, then the partition column, typed as finalSchema says
    final = spec_fixture("signups")["finalSchema"]
    assert [(f.name, f.dataType.simpleString()) for f in table_frame(spark, out).schema.fields] == [
        (c["name"], c["type"]) for c in final["columns"] + final["partitionColumns"]
    ]


def test_rerun_with_no_new_file_changes_nothing(spark, tmp_path, sample_input):
    out = tmp_path / "out"
    spec = spec_fixture("signups")
    run_job(spark, sample_input, out, spec)
    first, files = read_output(spark, out), data_files(out)
    summary = run_job(spark, sample_input, out, spec, ingested_at="2024-12-02T00:00:00Z")
    assert summary["files"] == 0 and summary["rowsWritten"] == 0
    assert read_output(spark, out) == first and data_files(out) == files


def test_incremental_run_updates_by_key_moves_partitions_and_leaves_others_alone(spark, tmp_path):
    spec = spec_fixture("signups")
    inp, out = tmp_path / "in", tmp_path / "out"
    write_processed(
        inp,
        "batch1.csv",
        SIGNUPS_HEADER + "1,Ann,ann@x.io,2024-10-01,active\n"
        "2,Bob,bob@x.io,2024-11-01,active\n3,Cy,cy@x.io,2024-11-02,pending\n",
        1e9,
    )
    run_job(spark, inp, out, spec)
    october_file = [f for f in data_files(out) if "signup_month=2024-10/" in f]

    # The ledger holds batch1.csv: only batch2.csv is read. Bob moves to December, Cy changes status, Dee is new.
    write_processed(
        inp,
        "batch2.csv",
        SIGNUPS_HEADER + "2,Bob,bob@x.io,2024-12-24,inactive\n"
        "3,Cy,cy@x.io,2024-11-02,active\n4,Dee,dee@x.io,2024-12-25,active\n",
        2e9,
    )
    summary = run_job(spark, inp, out, spec, ingested_at="2024-12-31T00:00:00Z")
    later = dt.datetime(2024, 12, 31)
    assert summary["files"] == 1
    assert by_id(read_output(spark, out)) == [
        signup(1, "Ann", "ann@x.io", "2024-10-01", "active", "batch1.csv"),
        signup(2, "Bob", "bob@x.io", "2024-12-24", "inactive", "batch2.csv", later),
        signup(3, "Cy", "cy@x.io", "2024-11-02", "active", "batch2.csv", later),
        signup(4, "Dee", "dee@x.io", "2024-12-25", "active", "batch2.csv", later),
    ]
    assert summary["partitions"] == ["signup_month=2024-11", "signup_month=2024-12"]
    # the October partition was not affected: the same data file is still the current one
    assert [f for f in data_files(out) if "signup_month=2024-10/" in f] == october_file

    # Ann moves to December too: October has no file left in the current snapshot.
    write_processed(inp, "batch3.csv", SIGNUPS_HEADER + "1,Ann,ann@x.io,2024-12-01,active\n", 3e9)
    summary = run_job(spark, inp, out, spec)
    assert summary["partitions"] == ["signup_month=2024-12"]
    assert not [f for f in data_files(out) if "signup_month=2024-10/" in f]
    assert sorted(r["user_id"] for r in read_output(spark, out)) == [1, 2, 3, 4]


def test_schema_evolution_new_optional_columns_are_null_for_older_rows(spark, tmp_path):
    dataset = {
        "name": "clicks",
        "key": ["id"],
        "extraColumns": "keep",
        "columns": [{"name": "id", "type": "integer"}, {"name": "day", "type": "date"}],
        "transforms": {"partitionBy": ["day"]},
    }
    inp, out = tmp_path / "in", tmp_path / "out"
    write_processed(inp, "a.csv", "id,day\n1,2024-11-01\n2,2024-11-02\n", 1e9)
    run_job(spark, inp, out, make_spec(dataset))

    # Later: the config declares an optional "plan" column, and files carry an undeclared "referrer" too.
    dataset["columns"].append({"name": "plan", "type": "string"})
    write_processed(inp, "b.csv", "id,day,plan,referrer\n3,2024-11-02,pro,news\n", 2e9)
    spec = make_spec(dataset)
    run_job(spark, inp, out, spec)
    rows = {r["id"]: r for r in read_output(spark, out)}
    assert {i: (r["day"].isoformat(), r["plan"], r["referrer"]) for i, r in rows.items()} == {
        1: ("2024-11-01", None, None),
        2: ("2024-11-02", None, None),
        3: ("2024-11-02", "pro", "news"),
    }
    # new columns take their place in the transform's order (before lineage and partition columns)
    assert table_frame(spark, out).columns == ["id", "plan", "referrer", "source_file", "ingested_at", "day"]


def test_type_conflict_with_the_table_names_the_column_and_both_types(spark, tmp_path, sample_input):
    out = tmp_path / "out"
    run_job(spark, sample_input, out, spec_fixture("signups"))
    before = (read_output(spark, out), data_files(out))
    write_processed(sample_input, "more.csv", SIGNUPS_HEADER + "99,Zed,zed@x.io,2024-11-09,active\n", 2e9)
    with pytest.raises(pt.TypeConflictError) as caught:
        run_job(spark, sample_input, out, signups_spec(cast={"id": "string"}))
    message = str(caught.value)
    assert 'column "user_id"' in message and "the final table has bigint" in message
    assert "this run produces string" in message
    assert (read_output(spark, out), data_files(out)) == before


def test_null_and_empty_partition_values_are_one_null_partition(spark, tmp_path):
    dataset = {
        "name": "t",
        "columns": [{"name": "id", "type": "integer"}, {"name": "region", "type": "string"}],
        "transforms": {
            "partitionBy": ["zone"],
            "derive": [{"name": "zone", "expr": "CASE WHEN id = 3 THEN '' ELSE region END"}],
        },
    }
    inp, out = tmp_path / "in", tmp_path / "out"
    write_processed(inp, "a.csv", "id,region\n1,\n2,eu/west: 1\n3,x\n", 1e9)
    summary = run_job(spark, inp, out, make_spec(dataset))
    assert sorted((r["id"], r["zone"]) for r in read_output(spark, out)) == [(1, None), (2, "eu/west: 1"), (3, None)]
    assert summary["partitions"] == ["zone=__HIVE_DEFAULT_PARTITION__", "zone=eu%2Fwest%3A 1"]


# ---- the command line, as the CLI (csv-pipeline transform --engine spark) runs it -----------------------------


def cli(args, env=None):
    return subprocess.run(
        [sys.executable, str(GLUE_SCRIPTS / "local_job.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_command_line_prints_a_json_summary_and_fails_with_exit_2_on_a_bad_spec(tmp_path, sample_input):
    spec_file = FIXTURES / "specs" / "signups.json"
    done = cli(
        [
            "--input",
            str(sample_input),
            "--output",
            str(tmp_path / "out"),
            "--dataset-spec-file",
            str(spec_file),
            "--ingested-at",
            "2024-12-01T00:00:00Z",
            "--master",
            "local[1]",
        ]
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rowsOut"] == 13 and summary["partitions"] == ["signup_month=2024-11"]

    failed = cli(["--input", str(sample_input), "--output", str(tmp_path / "out2"), "--dataset-spec", "[]"])
    assert failed.returncode == 2
    assert "error: dataset spec" in failed.stderr
    assert not (tmp_path / "out2").exists()


def test_missing_java_or_pyspark_says_how_to_install_them(tmp_path):
    args = ["--input", str(tmp_path), "--output", str(tmp_path / "o"), "--dataset-spec", "{}"]
    no_java = cli(args, env={"PATH": str(tmp_path), "JAVA_HOME": str(tmp_path / "nojdk")})
    assert no_java.returncode == 3 and "Install a JDK 17" in no_java.stderr

    fake = tmp_path / "fake_site" / "pyspark"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named pyspark')\n")
    no_spark = cli(args, env={**os.environ, "PYTHONPATH": str(fake.parent)})
    assert no_spark.returncode == 3 and "pip install -r requirements-dev.txt" in no_spark.stderr
