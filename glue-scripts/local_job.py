"""Local Spark entry point: run_batch over local folders (LocalStorage), for the CLI's `--engine spark` and the tests."""

# Usage:
#   python3 glue-scripts/local_job.py --input DIR --output DIR
#       (--dataset-spec-file FILE | --dataset-spec JSON) [--ingested-at ISO] [--master local[2]]
#
# Reads every *.csv in --input (processed files: header, all strings, quoted line breaks), takes each file's
# modification time from the file system, and hands them to pipeline_batch.run_batch: the transforms of
# pipeline_transforms (TRANSFORMS.md), the merge with the Parquet already in --output, and the same partitioned
# layout as final_output/<ds>/ in S3. Logs go to stderr; the last stdout line is a JSON summary (rowsIn,
# rowsOut, partitions, ...). Exit codes: 0 done, 2 bad spec or input (nothing written), 3 pyspark or Java
# missing, 1 other failure.

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

INSTALL_PYSPARK = (
    "pyspark is not installed for {python}. Install the Python tools with "
    "`pip install -r requirements-dev.txt` (pyspark 3.5.4, the Spark of Glue 5.0)."
)
INSTALL_JAVA = (
    "Java was not found (Spark needs it). Install a JDK 17, e.g. `sudo apt-get install "
    "openjdk-17-jdk-headless` or `brew install openjdk@17`, and put `java` on PATH or set JAVA_HOME."
)


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


def start_spark(master: str, driver_memory: str, app_name: str):
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.showConsoleProgress", "false")
        # no .crc checksum files beside the Parquet files
        .config("spark.hadoop.fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
        .getOrCreate()
    )


def read_spec_text(args: argparse.Namespace) -> str:
    """The spec JSON from --dataset-spec-file or --dataset-spec."""
    if not args.dataset_spec_file:
        return args.dataset_spec
    try:
        return Path(args.dataset_spec_file).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(
            f"--dataset-spec-file {args.dataset_spec_file}: {err.strerror}. Pass the path of a JSON "
            f'file {{"dataset": <DatasetConfig>, "finalSchema": ...}}.'
        ) from err


def run(args: argparse.Namespace, spark=None) -> dict:
    """The job; `spark` is a session to reuse (tests), else one is started and stopped here."""
    import pipeline_batch as pb
    import pipeline_transforms as pt

    started = time.monotonic()
    spec = pt.load_spec(read_spec_text(args))
    ingested_at = parse_ingested_at(args.ingested_at)
    files = list_input_files(args.input)
    own_session = spark is None
    if own_session:
        spark = start_spark(args.master, args.driver_memory, f"csv-pipeline-transform-{spec.name}")
        spark.sparkContext.setLogLevel("ERROR")
    try:
        spark_ready = time.monotonic()
        summary = pb.run_batch(
            spark,
            [str(p) for p in files],
            spec,
            os.path.abspath(args.output),
            pb.LocalStorage(),
            ingested_at=ingested_at,
        )
        processing_ms = round((time.monotonic() - spark_ready) * 1000)
    finally:
        if own_session:
            spark.stop()
    return {
        "engine": "spark",
        "dataset": spec.name,
        **summary,
        "durationMs": round((time.monotonic() - started) * 1000),
        "processingMs": processing_ms,
    }  # without starting Spark


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
