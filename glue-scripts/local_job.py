"""Local Spark entry point: run_batch into a local Iceberg table (Hadoop catalog), for the CLI's `--engine spark` and the tests."""

# Usage:
#   python3 glue-scripts/local_job.py --input DIR --output DIR
#       (--dataset-spec-file FILE | --dataset-spec JSON) [--reports DIR] [--ingested-at ISO] [--master local[2]]
#
# --output is the table's folder (final_output/<ds>/): an Iceberg v2 table (data/, metadata/) of a Hadoop
# catalog whose warehouse is the folder above it (final_output/), as final_output/<ds>/ is the table's location
# in S3. Reads the *.csv of --input (processed files) the ledger (<output>/ledger.json) does not hold yet, with
# the raw key from --reports/<name>.json when given (files without a report are left for a later run), and hands
# them to pipeline_batch.run_batch: the transforms of pipeline_transforms (TRANSFORMS.md) and one commit (MERGE or append).
# After each run it writes <output>/snapshot-files.json, the current snapshot's data files (local/tables.ts reads
# them: the DuckDB here has no Iceberg reader). Logs go to stderr; the last stdout line is a JSON summary (rowsIn,
# rowsOut, partitions, snapshotId, tableRows, ...). Exit codes: 0 done, 2 bad spec or input (nothing written),
# 3 pyspark or Java missing, 1 other failure.

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
    p.add_argument("--output", required=True, help="the Iceberg table's folder (final_output/<ds>/)")
    p.add_argument(
        "--reports", help="the Lambda's reports of the processed files (reports/<ds>/): source_file = raw key"
    )
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


# The Iceberg runtime of Glue 5.0 (Spark 3.5, Iceberg 1.7.1), fetched by Spark from Maven Central into ~/.ivy2 once.
ICEBERG_PACKAGE = "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.7.1"
ICEBERG_EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
LEDGER_FILE = "ledger.json"


def check_input(input_dir: str) -> None:
    if not Path(input_dir).is_dir():
        raise InputError(f"--input {input_dir}: no such folder. Point it at the dataset's processed CSV folder.")


def check_output(output_dir: str) -> None:
    """Refuses a folder of Hive-style Parquet (the DuckDB engine's layout): the two layouts do not mix."""
    folder = Path(output_dir)
    if folder.is_dir() and not (folder / "metadata").is_dir() and any(folder.rglob("*.parquet")):
        raise InputError(
            f"--output {output_dir} holds Parquet files but no Iceberg metadata/ (written by the DuckDB engine?). "
            f"Use a new workdir for --engine spark, or delete that folder to rebuild it from processed/."
        )


def start_spark(master: str, driver_memory: str, app_name: str):
    """The local session both local_job and the tests use: Iceberg's runtime and SQL extensions (MERGE INTO)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.jars.packages", ICEBERG_PACKAGE)
        .config("spark.sql.extensions", ICEBERG_EXTENSIONS)
        # Iceberg's vectorized (Arrow) Parquet reader crashed the JVM (SIGSEGV) here on a MERGE over a table of
        # more than one batch (20,000 rows; 2,000 pass), with pip's pyspark 3.5.4 on OpenJDK 17.0.15; row reads do not.
        .config("spark.sql.iceberg.vectorization.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def local_table(spark, output_dir: str):
    """The IcebergTable at `output_dir`: a Hadoop catalog over its parent folder, registered in the session
    under a name derived from that folder (catalogs are read from the session conf on first use)."""
    import hashlib

    import pipeline_batch as pb

    folder = Path(output_dir).resolve()
    catalog = "local_" + hashlib.sha256(str(folder.parent).encode()).hexdigest()[:12]
    spark.conf.set(f"spark.sql.catalog.{catalog}", "org.apache.iceberg.spark.SparkCatalog")
    spark.conf.set(f"spark.sql.catalog.{catalog}.type", "hadoop")
    spark.conf.set(f"spark.sql.catalog.{catalog}.warehouse", str(folder.parent))
    return pb.IcebergTable(pb.quote(catalog, folder.name))


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
    check_input(args.input)
    output = os.path.abspath(args.output)
    check_output(output)
    storage = pb.LocalStorage(args.input, Path(output) / LEDGER_FILE, output, args.reports)
    own_session = spark is None
    if own_session:
        spark = start_spark(args.master, args.driver_memory, f"csv-pipeline-transform-{spec.name}")
        spark.sparkContext.setLogLevel("ERROR")
    try:
        spark_ready = time.monotonic()
        summary = pb.run_batch(spark, spec, local_table(spark, output), storage, ingested_at=ingested_at)
        processing_ms = round((time.monotonic() - spark_ready) * 1000)
    finally:
        if own_session:
            spark.stop()
    return {
        "engine": "spark",
        "dataset": spec.name,
        **summary,
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
