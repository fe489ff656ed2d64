"""glue_job.py's wiring: arguments, bookmarks, commit (FAKE awsglue), and its S3 and catalog calls on moto's server."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time

import boto3
import pytest

import pipeline_batch as pb
import pipeline_transforms as pt
from conftest import FIXTURES, read_output, spec_fixture, write_processed

sys.path.insert(0, str(FIXTURES.parent / "fake_awsglue"))
import awsglue  # noqa: E402  (the fake)
import awsglue.utils  # noqa: E402
import glue_job  # noqa: E402

REGION = "us-east-1"


@pytest.fixture(scope="module")
def moto_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }.items():
        monkeypatch.setenv(k, v)
    return boto3.client("s3"), boto3.client("glue")


def create_final_table(glue, database: str, spec: dict, location: str) -> None:
    """The final table as the CDK app defines it: Parquet, finalSchema's columns and partition keys."""
    try:
        glue.create_database(DatabaseInput={"Name": database})
    except glue.exceptions.AlreadyExistsException:
        pass
    fs = spec["finalSchema"]
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": spec["dataset"]["name"],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": [{"Name": c["name"], "Type": c["type"]} for c in fs["partitionColumns"]],
            "StorageDescriptor": {
                "Columns": [{"Name": c["name"], "Type": c["type"]} for c in fs["columns"]],
                "Location": location,
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        },
    )


def create_processed_table(glue, database: str, location: str) -> None:
    """The processed table as the crawler makes it once the dataset's first file is there (columns do not matter
    here: the fake from_catalog reads its folder)."""
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": "processed_signups",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv"},
            "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "string"}], "Location": location},
        },
    )


def job_argv(spec: dict, final_path: str, database: str) -> list[str]:
    return [
        "glue_job.py",
        "--JOB_NAME",
        "csv-pipeline-signups",
        "--dataset_spec",
        json.dumps(spec),
        "--database",
        database,
        "--processed_table",
        "processed_signups",
        "--final_table",
        "signups",
        "--final_path",
        final_path,
        "--job-bookmark-option",
        "job-bookmark-enable",
        "--TempDir",
        "s3://temp/glue/",
        "--enable-glue-datacatalog",
        "true",
    ]


def test_argument_parsing():
    spec = spec_fixture("signups")
    args = glue_job.parse_job_arguments(
        awsglue.utils.getResolvedOptions(
            job_argv(spec, "s3://final/final_output/signups", "db"), glue_job.JOB_ARGUMENTS
        )
    )
    assert (args.job_name, args.database, args.processed_table, args.final_table) == (
        "csv-pipeline-signups",
        "db",
        "processed_signups",
        "signups",
    )
    assert args.final_path == "s3://final/final_output/signups/"
    assert args.spec == pt.parse_spec(spec)
    with pytest.raises(pt.SpecError, match="not an s3:// URI"):
        glue_job.parse_job_arguments({**args.raw, "final_path": "/tmp/out"})


def test_main_reads_the_bookmarked_table_writes_parquet_and_updates_the_catalog(spark, tmp_path, aws):
    _, glue = aws
    spec = spec_fixture("signups")
    processed = tmp_path / "processed" / "signups"
    write_processed(processed, "signups-a1.csv", (FIXTURES / "processed" / "signups" / "signups.csv").read_text(), 1e9)
    final = tmp_path / "final_output" / "signups"
    final_path = final.as_uri() + "/"
    create_final_table(glue, "wiring_db", spec, final_path)
    create_processed_table(glue, "wiring_db", processed.as_uri())
    awsglue.CALLS.clear()
    awsglue.CATALOG_FOLDERS[("wiring_db", "processed_signups")] = str(processed)

    assert glue_job.main(job_argv(spec, final_path, "wiring_db")) == 0

    names = [name for name, _ in awsglue.CALLS]
    assert names == ["getResolvedOptions", "job.init", "from_catalog", "job.commit"]
    source = dict(awsglue.CALLS)["from_catalog"]
    assert source == {
        "database": "wiring_db",
        "table_name": "processed_signups",
        "transformation_ctx": glue_job.SOURCE_CONTEXT,
        "additional_options": {"attachFilename": glue_job.FILE_NAME_ATTRIBUTE},
    }
    rows = read_output(spark, final, spec)
    assert len(rows) == 13 and {r["source_file"] for r in rows} == {"signups-a1.csv"}
    partitions = glue.get_partitions(DatabaseName="wiring_db", TableName="signups")["Partitions"]
    assert [(p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions] == [
        (["2024-11"], final_path + "signup_month=2024-11/")
    ]


def test_main_with_no_processed_table_yet_does_nothing_and_succeeds(tmp_path, aws):
    """Every crawler success starts every dataset's job: a dataset with no file yet must not fail (issue 8, 4)."""
    _, glue = aws
    spec = spec_fixture("signups")
    final_path = (tmp_path / "final_output" / "signups").as_uri() + "/"
    create_final_table(glue, "empty_db", spec, final_path)
    awsglue.CALLS.clear()

    assert glue_job.main(job_argv(spec, final_path, "empty_db")) == 0

    assert [name for name, _ in awsglue.CALLS] == ["getResolvedOptions"]  # no bookmark touched, nothing read
    assert not (tmp_path / "final_output").exists()


def test_table_input_keeps_only_table_input_members():
    """get_table returns read-only members (and newer botocore adds more); update_table takes TableInput only."""
    table = {
        "Name": "signups",
        "DatabaseName": "db",
        "CreateTime": "t",
        "UpdateTime": "t",
        "VersionId": "3",
        "IsMultiDialectView": False,
        "IsRegisteredWithLakeFormation": False,
        "CatalogId": "123456789012",
        "CreatedBy": "arn",
        "SomeMemberAddedNextYear": {"x": 1},
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet"},
        "PartitionKeys": [],
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}], "Location": "s3://b/k/"},
    }
    members = glue_job.table_input_members(boto3.client("glue", region_name=REGION))
    assert {"Name", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters"} <= members
    assert "VersionId" not in members and "CreateTime" not in members
    table_input = glue_job.table_input_with_columns(table, [("id", "bigint"), ("email", "string")], members)
    assert set(table_input) == {"Name", "TableType", "Parameters", "PartitionKeys", "StorageDescriptor"}
    assert [c["Name"] for c in table_input["StorageDescriptor"]["Columns"]] == ["id", "email"]
    assert glue_job.TABLE_INPUT_MEMBERS <= members  # the fallback list names no member botocore lacks


def test_describe_s3_files_reads_last_modified_and_the_header(aws):
    s3, _ = aws
    s3.create_bucket(Bucket="processed")
    s3.put_object(Bucket="processed", Key="processed/signups/a.csv", Body='id,"full, name"\n1,x\n'.encode())
    s3.put_object(Bucket="processed", Key="processed/signups/empty.csv", Body=b"")
    files = glue_job.describe_s3_files(
        s3, ["s3://processed/processed/signups/a.csv", "s3://processed/processed/signups/empty.csv"]
    )
    assert [(f.path, f.name, f.header) for f in files] == [
        ("s3://processed/processed/signups/a.csv", "a.csv", ("id", "full, name")),
        ("s3://processed/processed/signups/empty.csv", "empty.csv", None),
    ]
    head = s3.head_object(Bucket="processed", Key="processed/signups/a.csv")
    assert files[0].mtime == head["LastModified"] and files[0].mtime.tzinfo is not None


def test_both_entry_points_read_a_header_over_64_kib(aws, tmp_path):
    """glue_job read 64 KiB of a file for its header and local_job 1 MiB: one size (pt.HEADER_BYTES) now."""
    s3, _ = aws
    names = [f"column_{i:05d}_with_a_long_name" for i in range(3000)]  # about 90 KB of header
    body = (",".join(names) + "\n" + ",".join("x" for _ in names) + "\n").encode()
    assert 1 << 16 < len(body) < pt.HEADER_BYTES
    s3.create_bucket(Bucket="wide")
    s3.put_object(Bucket="wide", Key="processed/wide/a.csv", Body=body)
    local = tmp_path / "a.csv"
    local.write_bytes(body)
    [remote_file] = glue_job.describe_s3_files(s3, ["s3://wide/processed/wide/a.csv"])
    [local_file] = pb.describe_local_files([local])
    assert list(remote_file.header) == names == list(local_file.header)


def test_delete_s3_prefix_removes_only_that_partition(aws):
    s3, _ = aws
    s3.create_bucket(Bucket="final")
    for key in ("final_output/t/p=1/a.parquet", "final_output/t/p=1/b.parquet", "final_output/t/p=10/c.parquet"):
        s3.put_object(Bucket="final", Key=key, Body=b"x")
    assert glue_job.delete_s3_prefix(s3, "s3://final/final_output/t/p=1") == 2
    left = [o["Key"] for o in s3.list_objects_v2(Bucket="final")["Contents"]]
    assert left == ["final_output/t/p=10/c.parquet"]


def test_sync_catalog_adds_new_columns_creates_updates_and_deletes_partitions(aws):
    _, glue = aws
    spec_json = spec_fixture("signups")
    create_final_table(glue, "sync_db", spec_json, "s3://final/final_output/signups/")
    args = glue_job.JobArguments(
        "j", pt.parse_spec(spec_json), "sync_db", "processed_signups", "signups", "s3://final/final_output/signups/", {}
    )
    columns = [(c["name"], c["type"]) for c in spec_json["finalSchema"]["columns"]]
    first = glue_job.sync_catalog(glue, args, columns, [("2024-10",), ("2024-11",)], [])
    assert first == {"columnsAdded": [], "partitionsCreated": 2, "partitionsUpdated": 0, "partitionsDeleted": 0}

    evolved = columns[:5] + [("referrer", "string")] + columns[5:]
    second = glue_job.sync_catalog(glue, args, evolved, [("2024-11",), (None,)], [("2024-10",)])
    assert second == {
        "columnsAdded": ["referrer"],
        "partitionsCreated": 1,
        "partitionsUpdated": 1,
        "partitionsDeleted": 1,
    }
    table = glue.get_table(DatabaseName="sync_db", Name="signups")["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]][-3:] == ["source_file", "ingested_at", "referrer"]
    partitions = {
        tuple(p["Values"]): p for p in glue.get_partitions(DatabaseName="sync_db", TableName="signups")["Partitions"]
    }
    assert sorted(partitions) == [("2024-11",), ("__HIVE_DEFAULT_PARTITION__",)]
    assert partitions[("__HIVE_DEFAULT_PARTITION__",)]["StorageDescriptor"]["Location"] == (
        "s3://final/final_output/signups/signup_month=__HIVE_DEFAULT_PARTITION__/"
    )
    assert "referrer" in [c["Name"] for c in partitions[("2024-11",)]["StorageDescriptor"]["Columns"]]


def test_partition_values_as_the_catalog_stores_them():
    assert pt.partition_value_string(dt.date(2024, 11, 5)) == "2024-11-05"
    assert pt.partition_value_string(None) == "__HIVE_DEFAULT_PARTITION__"
    assert pt.partition_value_string(True) == "true" and pt.partition_value_string(7) == "7"
