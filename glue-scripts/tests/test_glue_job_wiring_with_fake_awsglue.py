"""glue_job.py's wiring: arguments and awsglue calls (FAKE awsglue), its S3 side on moto's server, one run end to end."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import boto3
import pytest

import pipeline_batch as pb
import pipeline_transforms as pt
from conftest import FIXTURES, spec_fixture, write_processed, write_report

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
def s3(moto_endpoint, monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }.items():
        monkeypatch.setenv(k, v)
    return boto3.client("s3")


def job_argv(spec: dict, root: str, database: str = "db", catalog: str = "glue_catalog") -> list[str]:
    """The arguments the CDK app sets (root: s3://bucket or a file: URI of a folder for the local run)."""
    return [
        "glue_job.py",
        *("--JOB_NAME", "csv-pipeline-signups", "--dataset_spec", json.dumps(spec), "--database", database),
        *("--final_table", "signups", "--final_path", f"{root}/final_output/signups"),
        *("--processed_path", f"{root}/processed/signups/", "--reports_path", f"{root}/reports/signups/"),
        *("--ledger_path", f"{root}/job_state/signups/ledger.json", "--iceberg_catalog", catalog),
        *("--TempDir", "s3://temp/glue/", "--enable-glue-datacatalog", "true"),
    ]


def parsed(argv: list[str]) -> glue_job.JobArguments:
    return glue_job.parse_job_arguments(awsglue.utils.getResolvedOptions(argv, glue_job.JOB_ARGUMENTS))


def test_argument_parsing():
    spec = spec_fixture("signups")
    args = parsed(job_argv(spec, "s3://bucket"))
    assert (args.job_name, args.database, args.final_table, args.catalog) == (
        "csv-pipeline-signups",
        "db",
        "signups",
        "glue_catalog",
    )
    assert args.final_path == "s3://bucket/final_output/signups/"
    assert args.table == pb.IcebergTable("`glue_catalog`.`db`.`signups`", "s3://bucket/final_output/signups/")
    assert args.spec == pt.parse_spec(spec)
    resolved = awsglue.utils.getResolvedOptions(job_argv(spec, "s3://bucket"), glue_job.JOB_ARGUMENTS)
    with pytest.raises(pt.SpecError, match="--processed_path .* is not an s3:// URI"):
        glue_job.parse_job_arguments({**resolved, "processed_path": "/tmp/in"})
    with pytest.raises(pt.SpecError, match="--ledger_path .* URI of an object"):
        glue_job.parse_job_arguments({**resolved, "ledger_path": "s3://bucket/job_state/signups/"})


def test_s3_storage_lists_processed_files_reads_headers_raw_keys_and_the_ledger(s3):
    s3.create_bucket(Bucket="processed")
    s3.create_bucket(Bucket="final")
    put = s3.put_object
    put(Bucket="processed", Key="processed/signups/a-1.csv", Body='id,"full, name"\n1,x\n'.encode())
    put(Bucket="processed", Key="processed/signups/empty-1.csv", Body=b"")
    put(Bucket="processed", Key="processed/signups/late-1.csv", Body=b"id\n1\n")  # no report yet
    put(Bucket="processed", Key="processed/signups/nested/x.csv", Body=b"id\n")  # not in the dataset's folder
    for name, raw in (("a-1", "raw/signups/a.csv"), ("empty-1", "raw/signups/empty.csv")):
        put(Bucket="processed", Key=f"reports/signups/{name}.json", Body=json.dumps({"source": raw}).encode())
    args = parsed(job_argv(spec_fixture("signups"), "s3://processed"))
    args = glue_job.JobArguments(**{**args.__dict__, "ledger_path": "s3://final/job_state/signups/ledger.json"})
    storage = glue_job.S3Storage(s3, args)

    listed = storage.list_processed()
    assert [f.name for f in listed] == ["a-1.csv", "empty-1.csv", "late-1.csv"]
    head = s3.head_object(Bucket="processed", Key="processed/signups/a-1.csv")
    assert listed[0].mtime == head["LastModified"] and listed[0].mtime.tzinfo is not None
    described = storage.describe(listed)
    assert [(f.name, f.header, f.source_file) for f in described] == [
        ("a-1.csv", ("id", "full, name"), "raw/signups/a.csv"),
        ("empty-1.csv", None, "raw/signups/empty.csv"),
    ]
    assert storage.read_ledger() == {}
    storage.write_ledger({"version": 1, "files": {"a-1.csv": 5}})
    assert storage.read_ledger() == {"version": 1, "files": {"a-1.csv": 5}}


def test_both_entry_points_read_a_header_over_64_kib(s3, tmp_path):
    """One header size (pt.HEADER_BYTES) for both entry points."""
    names = [f"column_{i:05d}_with_a_long_name" for i in range(3000)]  # about 90 KB of header
    body = (",".join(names) + "\n" + ",".join("x" for _ in names) + "\n").encode()
    assert 1 << 16 < len(body) < pt.HEADER_BYTES
    s3.create_bucket(Bucket="wide")
    s3.put_object(Bucket="wide", Key="processed/signups/a.csv", Body=body)
    s3.put_object(Bucket="wide", Key="reports/signups/a.json", Body=b'{"source": "raw/signups/a.csv"}')
    local = tmp_path / "a.csv"
    local.write_bytes(body)
    storage = glue_job.S3Storage(s3, parsed(job_argv(spec_fixture("signups"), "s3://wide")))
    [remote_file] = storage.describe(storage.list_processed())
    [local_file] = pb.describe_local_files([local])
    assert list(remote_file.header) == names == list(local_file.header)


def test_main_merges_the_new_files_into_the_catalogs_iceberg_table(spark, tmp_path):
    """main() over local folders (file: URIs) and an Iceberg catalog that honours LOCATION, as GlueCatalog does."""
    catalog = "wiring_catalog"
    spark.conf.set(f"spark.sql.catalog.{catalog}", "org.apache.iceberg.spark.SparkCatalog")
    spark.conf.set(f"spark.sql.catalog.{catalog}.catalog-impl", "org.apache.iceberg.inmemory.InMemoryCatalog")
    spark.conf.set(f"spark.sql.catalog.{catalog}.io-impl", "org.apache.iceberg.hadoop.HadoopFileIO")
    spark.conf.set(f"spark.sql.catalog.{catalog}.warehouse", (tmp_path / "warehouse").as_uri())
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {catalog}.wiring_db")
    spec = spec_fixture("signups")
    sample = (FIXTURES / "processed" / "signups" / "signups.csv").read_text()
    write_processed(tmp_path / "processed" / "signups", "signups-a1.csv", sample, 1e9)
    write_report(tmp_path / "reports" / "signups", "signups-a1.csv", "raw/signups/signups.csv")
    awsglue.CALLS.clear()

    assert glue_job.main(job_argv(spec, tmp_path.as_uri(), "wiring_db", catalog)) == 0

    assert [name for name, _ in awsglue.CALLS] == ["getResolvedOptions", "GlueContext"]
    rows = spark.table(f"{catalog}.wiring_db.signups").collect()
    assert len(rows) == 13 and {r["source_file"] for r in rows} == {"raw/signups/signups.csv"}
    location = spark.sql(f"DESCRIBE TABLE EXTENDED {catalog}.wiring_db.signups").collect()
    assert any(r[0] == "Location" and r[1].rstrip("/").endswith("final_output/signups") for r in location)
    ledger = json.loads((tmp_path / "job_state" / "signups" / "ledger.json").read_text())
    assert list(ledger["files"]) == ["signups-a1.csv"]
    assert glue_job.main(job_argv(spec, tmp_path.as_uri(), "wiring_db", catalog)) == 0  # nothing new
    assert spark.table(f"{catalog}.wiring_db.signups").count() == 13
