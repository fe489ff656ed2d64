"""Test support for the Glue scripts: one shared local Spark session (with Iceberg), processed CSV writers, table readers."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GLUE_SCRIPTS = Path(__file__).resolve().parents[1]
REPO = GLUE_SCRIPTS.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(GLUE_SCRIPTS))

import local_job  # noqa: E402
import pipeline_batch as pb  # noqa: E402
import pipeline_transforms as pt  # noqa: E402

INGESTED_AT = "2024-12-01T00:00:00Z"
INGESTED_AT_VALUE = dt.datetime(2024, 12, 1)


@pytest.fixture(scope="session")
def spark():
    session = local_job.start_spark("local[2]", "1g", "glue-scripts-tests")
    session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.shuffle.partitions", "2")
    pt.configure_session(session)
    yield session
    session.stop()


def spec_fixture(name: str) -> dict:
    """The committed --dataset_spec of a configured dataset (made by fixtures/make_specs.ts)."""
    return json.loads((FIXTURES / "specs" / f"{name}.json").read_text(encoding="utf-8"))


BUILT_SPECS = FIXTURES / "specs" / "built"


class SpecBuildError(Exception):
    """The TypeScript builder refused a test's dataset (the config loader's message)."""


def make_spec(dataset: dict) -> dict:
    """The spec datasetJobSpec (config/job-spec.ts) builds for a test's dataset (config JSON, defaults not filled).

    Specs are built by the TypeScript builder only (fixtures/make_specs.ts), never by hand: a built spec is kept in
    fixtures/specs/built/<hash>.json (commit it); a missing one is built once (a few seconds of ts-node)."""
    text = json.dumps(dataset, sort_keys=True, separators=(",", ":"))
    path = BUILT_SPECS / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    if not path.exists():
        result = subprocess.run(
            ["npx", "ts-node", "--transpile-only", str(FIXTURES / "make_specs.ts"), "--stdin", str(path)],
            input=text,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        if result.returncode != 0:
            raise SpecBuildError(result.stderr.strip() or f"make_specs.ts exited {result.returncode}")
    return json.loads(path.read_text(encoding="utf-8"))["spec"]


def configured_dataset(name: str) -> dict:
    """A dataset of pipeline.config.json, as written there."""
    config = json.loads((REPO / "pipeline.config.json").read_text(encoding="utf-8"))
    return copy.deepcopy(next(d for d in config["datasets"] if d["name"] == name))


def signups_spec(**transforms_changes) -> dict:
    """The signups spec from pipeline.config.json, with some transforms replaced (None removes one)."""
    dataset = configured_dataset("signups")
    transforms = dataset.setdefault("transforms", {})
    for key, value in transforms_changes.items():
        if value is None:
            transforms.pop(key, None)
        else:
            transforms[key] = value
    return make_spec(dataset)


def write_processed(folder: Path, name: str, text: str, mtime: float) -> Path:
    """A processed CSV file as the Lambda writes it, with the given modification time (epoch seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    os.utime(path, (mtime, mtime))
    return path


def run_job(
    spark, input_dir: Path, output_dir: Path, spec: dict, ingested_at: str = INGESTED_AT, reports: Path | None = None
) -> dict:
    """The local entry point in this process (same code path as the CLI, with the shared session)."""
    argv = ["--input", str(input_dir), "--output", str(output_dir), "--dataset-spec", json.dumps(spec)]
    argv += ["--ingested-at", ingested_at] + (["--reports", str(reports)] if reports else [])
    return local_job.run(local_job.parse_args(argv), spark=spark)


def table_frame(spark, output_dir: Path):
    """The current snapshot of the local Iceberg table at output_dir (None when there is no table)."""
    table = local_job.local_table(spark, str(output_dir))
    return spark.table(table.name) if pb.table_exists(spark, table) else None


def read_output(spark, output_dir: Path, spec: dict | None = None) -> list[dict]:
    """Every row of the table's current snapshot, sorted, as dicts."""
    df = table_frame(spark, output_dir)
    if df is None:
        return []
    rows = [r.asDict() for r in df.collect()]
    return sorted(rows, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def snapshot_ids(spark, output_dir: Path) -> list[int]:
    """The table's snapshots, oldest first."""
    table = local_job.local_table(spark, str(output_dir))
    return [r[0] for r in spark.sql(f"SELECT snapshot_id FROM {table.name}.snapshots ORDER BY committed_at").collect()]


def write_report(reports: Path, processed_name: str, raw_key: str, rows: int | None = None) -> Path:
    """The Lambda's report of a processed file (the job takes `source`, the raw key, and `rowsValid`, the rows
    written, when given)."""
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / pb.report_name(processed_name)
    report = {"source": raw_key, "outcome": "processed"} | ({} if rows is None else {"rowsValid": rows})
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def frame(spark, files: dict[str, tuple[float, str]], tmp_path: Path):
    """The transform's input frame from processed CSV texts {name: (mtime, text)}, read as the job reads them."""
    folder = tmp_path / "processed"
    paths = [write_processed(folder, name, text, mtime) for name, (mtime, text) in files.items()]
    return read_files(spark, sorted(paths))


def read_files(spark, paths: list[Path]):
    """The transform's input frame over processed CSV files, described and read as run_batch does."""
    return pt.read_processed_csv(spark, pb.describe_local_files(paths))
