"""Local Spark entry point: the Glue job's transforms and merge over local folders, for the CLI and the tests.

Usage:
  python3 glue-scripts/local_job.py --input DIR --output DIR
      (--dataset-spec-file FILE | --dataset-spec JSON) [--ingested-at ISO] [--master local[2]]

Reads every *.csv in --input (processed files: header, all strings, quoted line breaks), takes each
file's modification time from the file system, applies pipeline_transforms (TRANSFORMS.md), merges
with the Parquet already in --output and writes the same partitioned layout as final_output/<ds>/ in
S3. Logs go to stderr; the last stdout line is a JSON summary (rowsIn, rowsOut, partitions, ...).
Exit codes: 0 done, 2 bad spec or input (nothing written), 3 pyspark or Java missing, 1 other failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

log = logging.getLogger("local_job")

INSTALL_PYSPARK = ("pyspark is not installed for {python}. Install the Python tools with "
                   "`pip install -r requirements-dev.txt` (pyspark 3.5.4, the Spark of Glue 5.0).")
INSTALL_JAVA = ("Java was not found (Spark needs it). Install a JDK 17, e.g. `sudo apt-get install "
                "openjdk-17-jdk-headless` or `brew install openjdk@17`, and put `java` on PATH or set JAVA_HOME.")


class InputError(Exception):
    """The input folder or the arguments are not usable; nothing was written."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="local_job.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="folder of processed CSV files (processed/<ds>/)")
    p.add_argument("--output", required=True, help="final Parquet folder (final_output/<ds>/)")
    spec = p.add_mutually_exclusive_group(required=True)
    spec.add_argument("--dataset-spec-file", help='JSON file {"dataset": <DatasetConfig>, "finalSchema": ...}')
    spec.add_argument("--dataset-spec", help="the same JSON, inline")
    p.add_argument("--ingested-at", help="the run's ingested_at (ISO 8601, UTC when no zone); default: now")
    p.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    p.add_argument("--driver-memory", default="2g", help="Spark driver memory (default 2g)")
    return p.parse_args(argv)


def parse_ingested_at(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.timezone.utc)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise InputError(f'--ingested-at "{text}" is not an ISO 8601 time; write e.g. 2024-11-05T10:00:00Z.') from err
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def java_available() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        return False
    try:
        return subprocess.run([java, "-version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def list_input_files(input_dir: str) -> list[Path]:
    folder = Path(input_dir)
    if not folder.is_dir():
        raise InputError(f"--input {input_dir}: no such folder. Point it at the dataset's processed CSV folder.")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(".csv"))


def describe_local_files(files: list[Path]):
    """ProcessedFile entries from the file system: modification time and header of each file."""
    import pipeline_transforms as pt

    described = []
    for path in files:
        with open(path, "rb") as f:
            head = f.read(pt.HEADER_BYTES)
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        described.append(pt.ProcessedFile(str(path), path.name, mtime, pt.parse_csv_header(head)))
    return described


def read_processed_files(spark, files: list[Path]):
    import pipeline_transforms as pt

    return pt.read_processed_csv(spark, describe_local_files(files))


def start_spark(master: str, driver_memory: str, app_name: str):
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master).appName(app_name)
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", driver_memory)
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.showConsoleProgress", "false")
            # no .crc checksum files beside the Parquet files
            .config("spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
            .getOrCreate())


def run(args: argparse.Namespace, spark=None) -> dict:
    """The job; `spark` is a session to reuse (tests), else one is started and stopped here."""
    import pipeline_transforms as pt
    from pyspark import StorageLevel

    started = time.monotonic()
    if args.dataset_spec_file:
        try:
            text = Path(args.dataset_spec_file).read_text(encoding="utf-8")
        except OSError as err:
            raise InputError(f"--dataset-spec-file {args.dataset_spec_file}: {err.strerror}.") from err
    else:
        text = args.dataset_spec
    spec = pt.load_spec(text)
    ingested_at = parse_ingested_at(args.ingested_at)
    files = list_input_files(args.input)
    output = os.path.abspath(args.output)

    own_session = spark is None
    if own_session:
        spark = start_spark(args.master, args.driver_memory, f"csv-pipeline-transform-{spec.name}")
        spark.sparkContext.setLogLevel("ERROR")
    pt.configure_session(spark)
    spark_ready = time.monotonic()

    raw = read_processed_files(spark, files)
    if raw is None:
        log.info("no processed rows in %s (%d files)", args.input, len(files))
        raw = pt.empty_input(spark)
    new_rows = pt.transform(raw, spec, ingested_at)  # raises SpecError before anything is read
    raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
    rows_in = raw.count()
    log.info("read %d rows from %d files", rows_in, len(files))
    new_rows = new_rows.persist(StorageLevel.MEMORY_AND_DISK)
    rows_out = new_rows.count()
    log.info("transformed: %d rows after filter and dedupe", rows_out)

    existing = pt.read_existing_output(spark, output, spec) if os.path.isdir(output) else None
    plan = pt.merge_with_existing(new_rows, existing, [p.name for p in files], spec)
    rows = plan.rows
    if existing is not None:
        rows = rows.localCheckpoint(eager=True)  # the write replaces files this plan reads
    rows_written = rows.count() if plan.written_partitions else 0
    pt.write_plan(plan.__class__(rows, plan.written_partitions, plan.emptied_partitions, plan.emptied_dirs,
                                 plan.whole_output), output, spec)
    for folder in plan.emptied_dirs:
        shutil.rmtree(pt.local_path(folder), ignore_errors=True)
    if plan.whole_output and plan.emptied_partitions:
        for child in Path(output).glob("*.parquet"):
            child.unlink()
    log.info("wrote %d rows in %d partitions, deleted %d emptied partitions", rows_written,
             len(plan.written_partitions), len(plan.emptied_partitions))
    raw.unpersist()
    new_rows.unpersist()
    processing_ms = round((time.monotonic() - spark_ready) * 1000)
    if own_session:
        spark.stop()
    return {
        "engine": "spark",
        "dataset": spec.name,
        "files": len(files),
        "rowsIn": rows_in,
        "rowsOut": rows_out,
        "rowsWritten": rows_written,
        "partitions": [pt.partition_path(spec, p).rstrip("/") for p in plan.written_partitions if p],
        "deletedPartitions": [pt.partition_path(spec, p).rstrip("/") for p in plan.emptied_partitions if p],
        "durationMs": round((time.monotonic() - started) * 1000),
        "processingMs": processing_ms,  # without starting Spark
    }


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("error: " + INSTALL_PYSPARK.format(python=sys.executable), file=sys.stderr)
        return 3
    if not java_available():
        print("error: " + INSTALL_JAVA, file=sys.stderr)
        return 3
    import pipeline_transforms as pt

    try:
        summary = run(args)
    except (pt.SpecError, InputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
