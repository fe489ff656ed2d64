"""AWS Glue 5.0 entry point: the S3 side of run_batch (processed files listed by path, raw keys from the reports, a ledger)."""

# A thin shell over pipeline_batch.run_batch and pipeline_transforms (both shipped in one --extra-py-files zip):
# it parses Glue's arguments, and gives run_batch an S3Storage (list processed/<ds>/, S3 LastModified, headers,
# the Lambda's reports for the raw keys, the ledger object) and the Iceberg table in the catalog named by
# --iceberg_catalog (GlueCatalog, set up by the job's --conf: see /lib/transform.ts). The transform rules are in
# TRANSFORMS.md; everything here but getResolvedOptions and GlueContext is exercised by the tests (tests/fake_awsglue
# and test/aws's emulated account).
#
# Job arguments (set by the CDK app): --JOB_NAME, --dataset_spec (JSON, config/job-spec.ts datasetJobSpec),
# --database, --final_table, --final_path (s3://<final bucket>/final_output/<ds>/: the table's LOCATION),
# --processed_path (s3://<processed bucket>/processed/<ds>/), --reports_path (s3://<processed bucket>/reports/<ds>/),
# --ledger_path (s3://<final bucket>/job_state/<ds>/ledger.json), --iceberg_catalog (glue_catalog).
# No job bookmarks and no DynamicFrame: the ledger says which processed files are merged (TRANSFORMS.md), and
# Spark parses each new file once.

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import urlparse

import pipeline_batch as pb
import pipeline_transforms as pt

log = logging.getLogger("glue_job")

JOB_ARGUMENTS = [
    "JOB_NAME",
    "dataset_spec",
    "database",
    "final_table",
    "final_path",
    "processed_path",
    "reports_path",
    "ledger_path",
    "iceberg_catalog",
]


@dataclass(frozen=True)
class JobArguments:
    job_name: str
    spec: pt.DatasetSpec
    database: str
    final_table: str
    final_path: str
    processed_path: str
    reports_path: str
    ledger_path: str
    catalog: str

    @property
    def table(self) -> pb.IcebergTable:
        return pb.IcebergTable(pb.quote(self.catalog, self.database, self.final_table), self.final_path)


def _folder(resolved: dict, name: str, example: str) -> str:
    value = resolved[name]
    if not value.startswith(("s3://", "file://")):  # file:// only for the wiring test
        raise pt.SpecError(f'--{name} "{value}" is not an s3:// URI; the CDK app sets {example}.')
    return value if value.endswith("/") else value + "/"


def parse_job_arguments(resolved: dict) -> JobArguments:
    """From getResolvedOptions' dict: the spec parsed and checked, folders ending in "/"."""
    ledger = resolved["ledger_path"]
    if not ledger.startswith(("s3://", "file://")) or ledger.endswith("/"):
        raise pt.SpecError(
            f'--ledger_path "{ledger}" is not the s3:// URI of an object; the CDK app sets '
            f"s3://<final bucket>/job_state/<dataset>/ledger.json."
        )
    return JobArguments(
        job_name=resolved["JOB_NAME"],
        spec=pt.load_spec(resolved["dataset_spec"]),
        database=resolved["database"],
        final_table=resolved["final_table"],
        final_path=_folder(resolved, "final_path", "s3://<final bucket>/final_output/<dataset>/"),
        processed_path=_folder(resolved, "processed_path", "s3://<processed bucket>/processed/<dataset>/"),
        reports_path=_folder(resolved, "reports_path", "s3://<processed bucket>/reports/<dataset>/"),
        ledger_path=ledger,
        catalog=resolved["iceberg_catalog"],
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a", "s3n") or not parsed.netloc:
        raise ValueError(
            f'"{uri}" is not an S3 URI: expected s3://<bucket>/<key>. Check --processed_path, --reports_path '
            f"and --ledger_path."
        )
    return parsed.netloc, parsed.path.lstrip("/")


# ---- S3 ------------------------------------------------------------------------------------------------------


def list_keys(s3: Any, bucket: str, prefix: str) -> dict[str, Any]:
    """Every object under a prefix: key -> its listing entry. Existence is asked this way, never by a GET of a
    missing key: without an unconditional s3:ListBucket (the job's is limited by s3:prefix), S3 answers such
    a GET 403 AccessDenied, not 404."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            found[o["Key"]] = o
    return found


class S3Storage:
    """pipeline_batch.BatchStorage of the deployed job over S3 (file: URIs are local folders: the wiring test)."""

    def __init__(self, s3: Any, args: JobArguments):
        self.s3, self.args = s3, args
        self.local = None
        if args.processed_path.startswith("file:"):
            table_dir = pt.local_path(args.final_path)
            self.local = pb.LocalStorage(
                pt.local_path(args.processed_path),
                pt.local_path(args.ledger_path),
                table_dir,
                pt.local_path(args.reports_path),
            )

    def list_processed(self) -> list[pt.ProcessedFile]:
        if self.local:
            return self.local.list_processed()
        bucket, prefix = split_s3_uri(self.args.processed_path)
        files = []
        for key, o in sorted(list_keys(self.s3, bucket, prefix).items()):
            name = key[len(prefix) :]
            if name.endswith(".csv") and "/" not in name:
                files.append(pt.ProcessedFile(f"s3://{bucket}/{key}", name, o["LastModified"], None))
        return files

    def describe(self, files: Sequence[pt.ProcessedFile]) -> list[pt.ProcessedFile]:
        """Header (a ranged GET), raw key and row count (the report) of each file; a file without a report is left out."""
        if self.local:
            return self.local.describe(files)
        described = []
        reports_bucket, reports_prefix = split_s3_uri(self.args.reports_path)
        reports = list_keys(self.s3, reports_bucket, reports_prefix) if files else {}
        for f in files:
            report_key = reports_prefix + pb.report_name(f.name)
            if report_key not in reports:
                log.info("skipping %s: no report yet (the preprocessing has not finished it)", f.name)
                continue
            text = self.s3.get_object(Bucket=reports_bucket, Key=report_key)["Body"].read().decode("utf-8")
            facts = pb.report_facts(text, f"s3://{reports_bucket}/{report_key}")
            bucket, key = split_s3_uri(f.path)
            header = None
            try:
                head = self.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{pt.HEADER_BYTES - 1}")["Body"].read()
                header = pt.parse_csv_header(head)
            except Exception as err:  # noqa: BLE001 - a ranged GET of an empty object is an InvalidRange error
                if getattr(err, "response", {}).get("Error", {}).get("Code") != "InvalidRange":
                    raise
            described.append(pt.ProcessedFile(f.path, f.name, f.mtime, header, facts.source, facts.rows))
        return described

    def read_ledger(self) -> dict:
        if self.local:
            return self.local.read_ledger()
        bucket, key = split_s3_uri(self.args.ledger_path)
        if key not in list_keys(self.s3, bucket, key):
            return {}  # the first run
        return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def write_ledger(self, ledger: dict) -> None:
        if self.local:
            return self.local.write_ledger(ledger)
        bucket, key = split_s3_uri(self.args.ledger_path)
        body = json.dumps(ledger, indent=1).encode("utf-8")
        self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")

    def published(self, snapshot: dict) -> None:
        if self.local:
            self.local.published(snapshot)


# ---- the run -------------------------------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    import boto3
    from awsglue.context import GlueContext
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = parse_job_arguments(getResolvedOptions(list(argv), JOB_ARGUMENTS))
    spark = GlueContext(SparkContext.getOrCreate()).spark_session
    summary = pb.run_batch(spark, args.spec, args.table, S3Storage(boto3.client("s3"), args))
    print(json.dumps({"dataset": args.spec.name, **summary}))
    return 0


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception:
        log.exception("transform job failed")
        raise  # Glue's JobRun ErrorMessage is the exception: its class and message, i.e. the cause
