"""AWS Glue 5.0 entry point: the Glue and S3 side of run_batch (bookmarked batch, S3 objects, Data Catalog)."""

# A thin shell over pipeline_batch.run_batch and pipeline_transforms (both shipped in one --extra-py-files zip):
# it parses Glue's arguments, lists the bookmarked batch's files and gives run_batch a GlueStorage (S3 object
# metadata and deletes, catalog sync, job.commit). The transform rules are in TRANSFORMS.md; everything here
# but the awsglue calls is exercised by the tests (tests/fake_awsglue and test/aws's emulated account).
#
# Job arguments (set by the CDK app): --JOB_NAME, --dataset_spec (JSON {"dataset", "finalSchema"}), --database,
# --processed_table, --final_table, --final_path (s3://bucket/final_output/<ds>/), and Glue's own
# --job-bookmark-option job-bookmark-enable, --TempDir, --enable-glue-datacatalog true.
#
# Reading: the bookmarked DynamicFrame of the processed table tells which files are new in this run (their
# paths from the attachFilename column, else input_file_name()). run_batch then reads those files with Spark's
# CSV reader exactly as the local job reads them (header per file, RFC 4180 quotes, quoted line breaks); each
# file's modification time is its S3 LastModified (one HeadObject per new file; a batch holds few files).

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from typing import Any, Iterable, Sequence
from urllib.parse import urlparse

import pipeline_batch as pb
import pipeline_transforms as pt

log = logging.getLogger("glue_job")

JOB_ARGUMENTS = ["JOB_NAME", "dataset_spec", "database", "processed_table", "final_table", "final_path"]
# The bookmark state is stored under this name: never change it, or the next run reads everything again.
SOURCE_CONTEXT = "processed_source"
FILE_NAME_ATTRIBUTE = "__glue_source_file"


@dataclass(frozen=True)
class JobArguments:
    job_name: str
    spec: pt.DatasetSpec
    database: str
    processed_table: str
    final_table: str
    final_path: str
    raw: dict


def parse_job_arguments(resolved: dict) -> JobArguments:
    """From getResolvedOptions' dict: the spec parsed and checked, the final path ending in "/"."""
    final_path = resolved["final_path"]
    if not final_path.startswith(("s3://", "file://")):  # file:// only for the wiring test
        raise pt.SpecError(
            f'--final_path "{final_path}" is not an s3:// URI; the CDK app sets '
            f"s3://<final bucket>/final_output/<dataset>/."
        )
    return JobArguments(
        job_name=resolved["JOB_NAME"],
        spec=pt.load_spec(resolved["dataset_spec"]),
        database=resolved["database"],
        processed_table=resolved["processed_table"],
        final_table=resolved["final_table"],
        final_path=final_path if final_path.endswith("/") else final_path + "/",
        raw=resolved,
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a", "s3n") or not parsed.netloc:
        raise ValueError(
            f'"{uri}" is not an S3 URI: expected s3://<bucket>/<key>. Check --final_path and the '
            f"processed table's location."
        )
    return parsed.netloc, parsed.path.lstrip("/")


# ---- S3 ------------------------------------------------------------------------------------------------------


def describe_s3_files(s3: Any, uris: Iterable[str]) -> list[pt.ProcessedFile]:
    """ProcessedFile entries for the batch's files: LastModified and the header, from S3."""
    described = []
    for uri in sorted(set(uris)):
        bucket, key = split_s3_uri(uri)
        meta = s3.head_object(Bucket=bucket, Key=key)
        header = None
        if meta["ContentLength"] > 0:  # a ranged GET of an empty object is an InvalidRange error
            head = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{pt.HEADER_BYTES - 1}")["Body"].read()
            header = pt.parse_csv_header(head)
        described.append(pt.ProcessedFile(f"s3://{bucket}/{key}", pt.file_basename(key), meta["LastModified"], header))
    return described


def delete_s3_prefix(s3: Any, uri: str) -> int:
    """Deletes every object under an emptied partition's folder; returns how many."""
    bucket, prefix = split_s3_uri(uri.rstrip("/") + "/")
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


# ---- Data Catalog --------------------------------------------------------------------------------------------

# The members of Glue's TableInput (botocore's glue service model, 2025), for when the client's model is not at
# hand; get_table returns more (CreateTime, VersionId, IsMultiDialectView, ...), which update_table rejects.
TABLE_INPUT_MEMBERS = frozenset(
    {
        "Name",
        "Description",
        "Owner",
        "LastAccessTime",
        "LastAnalyzedTime",
        "Retention",
        "StorageDescriptor",
        "PartitionKeys",
        "ViewOriginalText",
        "ViewExpandedText",
        "TableType",
        "Parameters",
        "TargetTable",
        "ViewDefinition",
    }
)


def table_input_members(glue: Any) -> frozenset[str]:
    """The TableInput members the client's service model accepts (only those may go to update_table)."""
    try:
        return frozenset(glue.meta.service_model.shape_for("TableInput").members)
    except Exception:  # noqa: BLE001 - a client without a model (tests' fakes) gets the known list
        return TABLE_INPUT_MEMBERS


def table_input_with_columns(
    table: dict, columns: Sequence[tuple[str, str]], members: frozenset[str] = TABLE_INPUT_MEMBERS
) -> dict | None:
    """The TableInput that adds the written columns the table lacks (schema evolution), or None when it
    has them all. Existing columns keep their place and type (type changes never get this far). Only
    TableInput members are copied from the Table (`members`), whatever else get_table returned."""
    sd = table.get("StorageDescriptor", {})
    known = {c["Name"] for c in sd.get("Columns", [])} | {c["Name"] for c in table.get("PartitionKeys", [])}
    added = [{"Name": name, "Type": typ} for name, typ in columns if name not in known]
    if not added:
        return None
    table_input = {k: v for k, v in table.items() if k in members}
    table_input["StorageDescriptor"] = {**sd, "Columns": list(sd.get("Columns", [])) + added}
    return table_input


def partition_input(table: dict, spec: pt.DatasetSpec, final_path: str, values: tuple) -> dict:
    """A PartitionInput for one written partition: the table's storage descriptor at the partition's folder."""
    sd = dict(table.get("StorageDescriptor", {}))
    sd["Location"] = final_path + pt.partition_path(spec, values)
    return {"Values": [pt.partition_value_string(v) for v in values], "StorageDescriptor": sd}


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def sync_catalog(
    glue: Any,
    args: JobArguments,
    written_columns: Sequence[tuple[str, str]],
    written: Sequence[tuple],
    emptied: Sequence[tuple],
) -> dict:
    """Keeps the final table current: new columns, new partitions, emptied partitions dropped."""
    table = glue.get_table(DatabaseName=args.database, Name=args.final_table)["Table"]
    summary = {"columnsAdded": [], "partitionsCreated": 0, "partitionsUpdated": 0, "partitionsDeleted": 0}
    table_input = table_input_with_columns(table, written_columns, table_input_members(glue))
    if table_input is not None:
        glue.update_table(DatabaseName=args.database, TableInput=table_input)
        known = {c["Name"] for c in table["StorageDescriptor"].get("Columns", [])}
        summary["columnsAdded"] = [
            c["Name"] for c in table_input["StorageDescriptor"]["Columns"] if c["Name"] not in known
        ]
        table = {**table, "StorageDescriptor": table_input["StorageDescriptor"]}
    if args.spec.partition_by:
        inputs = [partition_input(table, args.spec, args.final_path, v) for v in written]
        for chunk in _chunks(inputs, 100):
            result = glue.batch_create_partition(
                DatabaseName=args.database, TableName=args.final_table, PartitionInputList=chunk
            )
            errors = result.get("Errors", [])
            summary["partitionsCreated"] += len(chunk) - len(errors)
            for error in errors:
                if error["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException":
                    raise RuntimeError(
                        f"Glue BatchCreatePartition failed for partition {error['PartitionValues']} "
                        f"of {args.database}.{args.final_table}: {error['ErrorDetail']}. Check that the "
                        f"table's partition keys match the spec's partitionBy and that the job role "
                        f"has glue:BatchCreatePartition on that table."
                    )
                if table_input is not None:  # the partition must list the new columns too
                    by_values = {tuple(p["Values"]): p for p in chunk}
                    glue.update_partition(
                        DatabaseName=args.database,
                        TableName=args.final_table,
                        PartitionValueList=error["PartitionValues"],
                        PartitionInput=by_values[tuple(error["PartitionValues"])],
                    )
                    summary["partitionsUpdated"] += 1
        deletions = [{"Values": [pt.partition_value_string(v) for v in values]} for values in emptied]
        for chunk in _chunks(deletions, 25):
            glue.batch_delete_partition(
                DatabaseName=args.database, TableName=args.final_table, PartitionsToDelete=chunk
            )
            summary["partitionsDeleted"] += len(chunk)
    return summary


# ---- the run -------------------------------------------------------------------------------------------------


def batch_files(batch_df: Any) -> list[str]:
    """The paths of the files in the bookmarked batch (attachFilename column, else input_file_name())."""
    from pyspark.sql import functions as F

    source = F.col(FILE_NAME_ATTRIBUTE) if FILE_NAME_ATTRIBUTE in batch_df.columns else F.input_file_name()
    paths = [r[0] for r in batch_df.select(source.alias("path")).distinct().collect()]
    if any(not p for p in paths):
        raise RuntimeError(
            "Glue gave rows without a source file name (input_file_name() is empty), so rows "
            "cannot be traced to files; check that the processed table is an S3 CSV table."
        )
    return sorted(paths)


class GlueStorage:
    """pipeline_batch.BatchStorage of the deployed job: S3 objects, the Glue Data Catalog and job bookmarks
    (file: URIs are local files: the wiring test runs the job over local folders)."""

    def __init__(self, s3: Any, glue: Any, args: JobArguments, job: Any = None):
        self.s3, self.glue, self.args, self.job = s3, glue, args, job

    def describe(self, paths: Sequence[str]) -> list[pt.ProcessedFile]:
        if paths and paths[0].startswith("s3"):
            return describe_s3_files(self.s3, paths)
        return pb.describe_local_files(paths)

    def delete_folder(self, uri: str) -> int:
        if uri.startswith("file:"):
            return pb.LocalStorage().delete_folder(uri)
        return delete_s3_prefix(self.s3, uri)

    def clear_output(self, table: str) -> int:
        if table.startswith("file:"):
            return pb.LocalStorage().clear_output(table)
        return delete_s3_prefix(self.s3, table)

    def sync_partitions(
        self, columns: Sequence[tuple[str, str]], written: Sequence[tuple], emptied: Sequence[tuple]
    ) -> dict:
        return sync_catalog(self.glue, self.args, columns, written, emptied)

    def commit(self) -> None:
        if self.job is not None:
            self.job.commit()  # after the write and the catalog update: a failed run re-reads the same files


def processed_table_exists(glue: Any, args: JobArguments) -> bool:
    """Whether the crawler has made the processed table yet (it makes it when the dataset's first file arrives)."""
    try:
        glue.get_table(DatabaseName=args.database, Name=args.processed_table)
        return True
    except glue.exceptions.EntityNotFoundException:
        return False


def main(argv: Sequence[str]) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    import boto3
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = parse_job_arguments(getResolvedOptions(list(argv), JOB_ARGUMENTS))
    glue = boto3.client("glue")
    if not processed_table_exists(glue, args):
        # Every crawler success starts every dataset's job; a dataset with no file yet has nothing to do.
        log.info(
            "no table %s.%s yet (no processed file of dataset %s so far): nothing to do",
            args.database,
            args.processed_table,
            args.spec.name,
        )
        print(json.dumps({"dataset": args.spec.name, **pb.empty_summary()}))
        return 0
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args.job_name, args.raw)
    batch = glue_context.create_dynamic_frame.from_catalog(
        database=args.database,
        table_name=args.processed_table,
        transformation_ctx=SOURCE_CONTEXT,
        additional_options={"attachFilename": FILE_NAME_ATTRIBUTE},
    )
    storage = GlueStorage(boto3.client("s3"), glue, args, job)
    summary = pb.run_batch(glue_context.spark_session, batch_files(batch.toDF()), args.spec, args.final_path, storage)
    print(json.dumps({"dataset": args.spec.name, **summary}))
    return 0


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Exception:
        log.exception("transform job failed")
        raise  # Glue's JobRun ErrorMessage is the exception: its class and message, i.e. the cause
