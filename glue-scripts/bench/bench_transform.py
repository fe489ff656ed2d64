"""Benchmark of the Spark transform (npm run bench:glue): 1,000,000 generated processed rows through local_job.py.

Prints rows/s, the input and Parquet sizes, and what the measured rate means for a Glue job (workers,
cost per GB at $0.44 per DPU-hour, G.1X = 1 DPU = 4 vCPU, billed per second with a 1-minute minimum).
The data is deterministic (fixed seed), shaped like the signups dataset, spread over 24 monthly partitions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GLUE_SCRIPTS = Path(__file__).resolve().parents[1]
SPEC = GLUE_SCRIPTS / "tests" / "fixtures" / "specs" / "signups.json"
DPU_HOUR_USD = 0.44
GLUE_MIN_WORKERS = 2
GLUE_STARTUP_SECONDS = 30  # an assumption for Glue 5.0 start-up per run, not measured here


def generate(folder: Path, rows: int, files: int, seed: int = 42) -> int:
    """Processed signups CSV files as the Lambda writes them; returns the bytes written."""
    rng = random.Random(seed)
    statuses = ["active", "inactive", "pending"]
    first = ["Ann", "Bob", "Carla", "Dee", "Eve", "Frank", "Grace", "Hiro", "Ivy", "Jon", "Zoë", "Lee, Min-jun"]
    last = ["Doe", "Smith", "Gómez", "Tanaka", "Chen", "Park", 'O"Brien', "Kim"]
    folder.mkdir(parents=True, exist_ok=True)
    per_file = rows // files
    total = 0
    next_id = 1
    for f in range(files):
        lines = ["id,name,email,signup_date,status"]
        count = per_file if f < files - 1 else rows - per_file * (files - 1)
        for _ in range(count):
            # ~2% of ids repeat an earlier one: the dedupe has work to do
            user_id = rng.randrange(1, next_id) if next_id > 1 and rng.random() < 0.02 else next_id
            next_id += user_id == next_id
            name = f"{rng.choice(first)} {rng.choice(last)}"
            if any(ch in name for ch in ',"'):
                name = '"' + name.replace('"', '""') + '"'
            day = f"20{23 + rng.randrange(2)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
            lines.append(f"{user_id},{name},user{user_id}@example.com,{day},{rng.choice(statuses)}")
        path = folder / f"signups-{f:03d}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.utime(path, (1_700_000_000 + f, 1_700_000_000 + f))
        total += path.stat().st_size
    return total


def folder_bytes(folder: Path, suffix: str) -> int:
    return sum(p.stat().st_size for p in folder.rglob(f"*{suffix}"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--files", type=int, default=10)
    p.add_argument("--master", default="local[*]")
    p.add_argument("--keep", action="store_true", help="keep the generated data and output")
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-glue-"))
    try:
        t0 = time.monotonic()
        input_bytes = generate(work / "processed" / "signups", args.rows, args.files)
        print(
            f"generated {args.rows:,} rows in {args.files} files ({input_bytes / 1e6:.1f} MB) "
            f"in {time.monotonic() - t0:.1f} s",
            flush=True,
        )
        t1 = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                str(GLUE_SCRIPTS / "local_job.py"),
                "--input",
                str(work / "processed" / "signups"),
                "--output",
                str(work / "final_output" / "signups"),
                "--dataset-spec-file",
                str(SPEC),
                "--master",
                args.master,
            ],
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - t1
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        job_seconds = summary["processingMs"] / 1000  # Spark start-up excluded (Glue's is in the estimate below)
        parquet_bytes = folder_bytes(work / "final_output" / "signups", ".parquet")
        cores = os.cpu_count() or 1
        gb = input_bytes / 1e9
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"spark master {args.master} on {cores} cores (load average {load:.1f} at the end: other processes "
            f"slow this figure down)"
        )
        print(
            f"rows in {summary['rowsIn']:,}, rows out {summary['rowsOut']:,}, partitions {len(summary['partitions'])}"
        )
        print(f"job time {job_seconds:.1f} s without Spark start-up (whole process {wall:.1f} s)")
        print(
            f"throughput {summary['rowsIn'] / job_seconds:,.0f} rows/s, {input_bytes / 1e6 / job_seconds:.1f} MB/s "
            f"of CSV ({input_bytes / 1e6 / job_seconds / cores:.2f} MB/s per core)"
        )
        print(f"parquet {parquet_bytes / 1e6:.1f} MB (snappy), {parquet_bytes / input_bytes:.0%} of the CSV size")
        # Glue: a G.1X worker has 4 vCPU; one runs the driver. Assume per-core speed as measured here.
        vcpu_seconds_per_gb = job_seconds * cores / gb
        for workers in (2, 5, 10):
            executor_vcpus = (workers - 1) * 4
            run_seconds = vcpu_seconds_per_gb / executor_vcpus + GLUE_STARTUP_SECONDS
            cost = workers * max(run_seconds, 60) / 3600 * DPU_HOUR_USD
            print(
                f"glue estimate, 1 GB of processed CSV on {workers} G.1X workers: ~{run_seconds:.0f} s "
                f"(incl. ~{GLUE_STARTUP_SECONDS} s assumed start-up), ~${cost:.3f}"
            )
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
