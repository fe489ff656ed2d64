"""One batch of processed files into the final table: the orchestration glue_job.py and local_job.py share."""

# What differs between the deployed job and a local run is behind BatchStorage: the files' metadata (S3 or
# the file system), deleting emptied folders, the catalog (Glue Data Catalog or none) and the bookmark commit.
# Spark itself reads the processed CSV files and reads and writes the final Parquet by path on both.
# Like pipeline_transforms, this module is plain PySpark (no awsglue, no boto3); on AWS it ships in the same
# --extra-py-files zip (lib/transform.ts pythonModuleArchive).

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Protocol, Sequence, Union

import pipeline_transforms as pt

log = logging.getLogger("pipeline_batch")

PathLike = Union[str, "os.PathLike[str]"]
Columns = Sequence[tuple[str, str]]  # (name, SQL type) of the written data columns


class BatchStorage(Protocol):
    """Where the batch's files and the final table live, and what keeps track of them."""

    def describe(self, paths: Sequence[str]) -> list[pt.ProcessedFile]:
        """Each new file's path as Spark reads it, base name, modification time (UTC) and header."""
        ...

    def delete_folder(self, uri: str) -> int:
        """Deletes the folder of a partition left with no row (a URI as Spark gave it); returns the files deleted."""
        ...

    def clear_output(self, table: str) -> int:
        """Deletes the files of an unpartitioned final table left with no row; returns how many."""
        ...

    def sync_partitions(self, columns: Columns, written: Sequence[tuple], emptied: Sequence[tuple]) -> dict | None:
        """Brings the table's catalog up to date (new columns and partitions, emptied partitions dropped);
        returns what changed, or None when there is no catalog."""
        ...

    def commit(self) -> None:
        """Marks the batch's files as handled (Glue job bookmarks); called only once everything is written."""
        ...


def _plain_path(path: PathLike) -> str:
    """A local path from a plain path or a file: URI (only URIs are unquoted: '%' and '#' are valid in names)."""
    text = os.fspath(path)
    return pt.local_path(text) if text.startswith("file:") else text


def describe_local_files(paths: Sequence[PathLike]) -> list[pt.ProcessedFile]:
    """ProcessedFile entries from the file system (plain paths or file: URIs): modification time and header."""
    described = []
    for path in paths:
        local = _plain_path(path)
        with open(local, "rb") as f:
            head = f.read(pt.HEADER_BYTES)
        mtime = dt.datetime.fromtimestamp(os.stat(local).st_mtime, dt.timezone.utc)
        described.append(pt.ProcessedFile(os.fspath(path), pt.file_basename(local), mtime, pt.parse_csv_header(head)))
    return described


class LocalStorage:
    """BatchStorage over local folders (the CLI's `--engine spark`, the tests): no catalog, no bookmarks."""

    def describe(self, paths: Sequence[str]) -> list[pt.ProcessedFile]:
        return describe_local_files(paths)

    def delete_folder(self, uri: str) -> int:
        folder = Path(_plain_path(uri))
        count = sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def clear_output(self, table: str) -> int:
        files = list(Path(_plain_path(table)).glob("*.parquet"))
        for f in files:
            f.unlink()
        return len(files)

    def sync_partitions(self, columns: Columns, written: Sequence[tuple], emptied: Sequence[tuple]) -> dict | None:
        return None

    def commit(self) -> None:
        pass


def empty_summary() -> dict:
    """The counts of a run that had no new file: nothing read, nothing written."""
    return {"files": 0, "rowsIn": 0, "rowsOut": 0, "rowsWritten": 0, "partitions": [], "deletedPartitions": []}


def run_batch(
    spark: Any,
    files: Sequence[str],
    plan: pt.DatasetSpec,
    table: str,
    storage: BatchStorage,
    *,
    ingested_at: dt.datetime | None = None,
) -> dict:
    """Reads the batch's new processed `files`, applies the transforms of `plan` (the parsed dataset spec),
    merges the rows into the final table whose folder is `table` (s3:// or local), deletes what the merge
    emptied, syncs the catalog, then commits the batch: a run that fails before the end reads the same files
    again. Returns the run's counts (and "catalog" when the storage has one)."""
    ingested_at = ingested_at or dt.datetime.now(dt.timezone.utc)
    pt.configure_session(spark)
    log.info("batch: %d new processed files", len(files))
    if not files:
        storage.commit()
        return empty_summary()
    described = storage.describe(files)
    raw, new_rows = _read_and_transform(spark, described, plan, ingested_at)
    try:
        rows_in, rows_out = _counted(raw, "read", len(described)), _counted(new_rows, "transformed", len(described))
        merge, rows_written = _merge_and_write(new_rows, described, plan, table, storage)
        catalog = storage.sync_partitions(
            written_columns(merge.rows, plan), merge.written_partitions, merge.emptied_partitions
        )
    finally:
        raw.unpersist()
        new_rows.unpersist()
    if catalog is not None:
        log.info("catalog: %s", json.dumps(catalog))
    storage.commit()
    summary = {
        "files": len(described),
        "rowsIn": rows_in,
        "rowsOut": rows_out,
        "rowsWritten": rows_written,
        "partitions": _partition_names(plan, merge.written_partitions),
        "deletedPartitions": _partition_names(plan, merge.emptied_partitions),
    }
    return summary if catalog is None else {**summary, "catalog": catalog}


def _read_and_transform(
    spark: Any, files: Sequence[pt.ProcessedFile], plan: pt.DatasetSpec, ingested_at: dt.datetime
) -> tuple[Any, Any]:
    """The batch's rows as read and as transformed, both persisted (each is counted, then read again)."""
    from pyspark import StorageLevel

    raw = pt.read_processed_csv(spark, files)
    if raw is None:
        log.info("no processed rows: the batch's %d files are all empty", len(files))
        raw = pt.empty_input(spark)
    new_rows = pt.transform(raw, plan, ingested_at)  # a bad spec raises SpecError here, before anything is read
    return raw.persist(StorageLevel.MEMORY_AND_DISK), new_rows.persist(StorageLevel.MEMORY_AND_DISK)


def _counted(df: Any, what: str, files: int) -> int:
    count = df.count()
    log.info("%s: %d rows from %d files", what, count, files)
    return count


def _merge_and_write(
    new_rows: Any, files: Sequence[pt.ProcessedFile], plan: pt.DatasetSpec, table: str, storage: BatchStorage
) -> tuple[pt.MergePlan, int]:
    """Merges the new rows with the final rows already written, writes the affected partitions and deletes
    the emptied ones. Returns the merge (its rows as written) and how many rows were written."""
    existing = pt.read_existing_output(new_rows.sparkSession, table, plan)
    log.info("existing final data: %s", "none" if existing is None else "found")
    merge = pt.merge_with_existing(new_rows, existing, [f.name for f in files], plan)
    if existing is not None:  # the write replaces files this merge reads: materialise its rows first
        merge = dataclasses.replace(merge, rows=merge.rows.localCheckpoint(eager=True))
    rows_written = merge.rows.count() if merge.written_partitions else 0
    pt.write_plan(merge, table, plan)
    for folder in merge.emptied_dirs:
        log.info("deleted %d files of emptied partition %s", storage.delete_folder(folder), folder)
    if merge.whole_output and merge.emptied_partitions:
        log.info("deleted %d files: the final table has no row left", storage.clear_output(table))
    log.info(
        "wrote %d rows in %d partitions, deleted %d emptied partitions",
        rows_written,
        len(merge.written_partitions),
        len(merge.emptied_partitions),
    )
    return merge, rows_written


def written_columns(rows: Any, plan: pt.DatasetSpec) -> list[tuple[str, str]]:
    """The data columns the Parquet files hold (partition columns are in the folder names), with SQL types."""
    return [(f.name, f.dataType.simpleString()) for f in rows.schema.fields if f.name not in plan.partition_by]


def _partition_names(plan: pt.DatasetSpec, partitions: Sequence[tuple]) -> list[str]:
    return [pt.partition_path(plan, p).rstrip("/") for p in partitions if p]
