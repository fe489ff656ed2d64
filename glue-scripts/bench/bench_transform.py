"""Benchmark of the Spark transform (npm run bench:glue): incremental batches into a growing Iceberg table.

Each run adds one processed file (signups-shaped, deterministic) with its report (raw key, row count), as the
Lambda leaves them, and merges it into the same local Iceberg table with glue-scripts/local_job.py in a new
process, as each Glue job run starts a new JVM (`--keyless`: the dataset without its key, so each batch is an
append); "seconds" is the job's
time without Spark's start-up (local_job's processingMs). A batch holds new sign-ups of one new month plus
~2% updates of the previous batch's users, as time-ordered data does: the MERGE rewrites the files of those
rows only, so a run's time should not grow with the table. `--json` prints one JSON object:
{"runs": [{"rows_in", "table_rows", "seconds", "process_seconds"}, ...], "cores", "rows_per_second_per_core", ...}
(process_seconds: the whole local_job.py process, Spark's start-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

GLUE_SCRIPTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(GLUE_SCRIPTS))
SPEC = GLUE_SCRIPTS / "tests" / "fixtures" / "specs" / "signups.json"

FIRST = ["Ann", "Bob", "Carla", "Dee", "Eve", "Frank", "Grace", "Hiro", "Ivy", "Jon", "Zoë", "Lee, Min-jun"]
LAST = ["Doe", "Smith", "Gómez", "Tanaka", "Chen", "Park", 'O"Brien', "Kim"]
STATUSES = ["active", "inactive", "pending"]


def batch_lines(run: int, rows: int, rng: random.Random) -> list[str]:
    """Run `run`'s processed CSV: new ids of month `run`, ~2% of them updates of the previous run's ids."""
    first_id, month = run * rows + 1, f"{2020 + run // 12}-{1 + run % 12:02d}"
    lines = ["id,name,email,signup_date,status"]
    for i in range(rows):
        user_id = first_id + i
        if run > 0 and rng.random() < 0.02:
            user_id = rng.randrange(first_id - rows, first_id)  # a user of the previous batch changes
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if any(ch in name for ch in ',"'):
            name = '"' + name.replace('"', '""') + '"'
        day = f"{month}-{1 + rng.randrange(28):02d}"
        lines.append(f"{user_id},{name},user{user_id}@example.com,{day},{rng.choice(STATUSES)}")
    return lines


def write_batch(work: Path, run: int, rows: int, rng: random.Random) -> int:
    """processed/signups/signups-<run>.csv and its report (raw key, rows written), as the Lambda leaves them."""
    folder, reports = work / "processed" / "signups", work / "reports" / "signups"
    folder.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
    path = folder / f"signups-{run:03d}.csv"
    path.write_text("\n".join(batch_lines(run, rows, rng)) + "\n", encoding="utf-8")
    os.utime(path, (1_700_000_000 + run, 1_700_000_000 + run))
    report = {"source": f"raw/signups/signups-{run:03d}.csv", "outcome": "processed", "rowsValid": rows}
    (reports / f"signups-{run:03d}.json").write_text(json.dumps(report), encoding="utf-8")
    return path.stat().st_size


def keyless_spec(work: Path) -> Path:
    """The signups spec without its key: each batch's raw object is new, so the job appends."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    spec["key"], spec["finalKey"] = [], []
    path = work / "signups-keyless.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def run_batches(work: Path, runs: int, rows: int, master: str, log, keyless: bool = False) -> list[dict]:
    import subprocess

    rng = random.Random(42)
    spec = keyless_spec(work) if keyless else SPEC
    results = []
    for run in range(runs):
        size = write_batch(work, run, rows, rng)
        argv = [sys.executable, str(GLUE_SCRIPTS / "local_job.py"), "--input", str(work / "processed" / "signups")]
        argv += ["--reports", str(work / "reports" / "signups")]
        argv += ["--output", str(work / "final_output" / "signups"), "--dataset-spec-file", str(spec)]
        argv += ["--ingested-at", "2025-01-01T00:00:00Z", "--master", master]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"run {run + 1}: local_job.py exited {done.returncode}:\n{done.stderr[-3000:]}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        seconds = summary["processingMs"] / 1000
        results.append(
            {
                "rows_in": summary["rowsIn"],
                "table_rows": summary["tableRows"],
                "seconds": round(seconds, 2),
                "process_seconds": round(summary["durationMs"] / 1000, 2),
            }
        )
        log(
            f"run {run + 1}: {summary['rowsIn']:,} rows ({size / 1e6:.1f} MB) -> table {summary['tableRows']:,} rows "
            f"in {seconds:.1f} s (process {summary['durationMs'] / 1000:.1f} s, load {os.getloadavg()[0]:.1f})"
        )
    return results


def report(results: list[dict], cores: int, master: str) -> dict:
    later = results[1:] or results  # run 1 also creates the table
    rates = sorted(r["rows_in"] / r["seconds"] for r in later)
    median = rates[len(rates) // 2]
    second, last = results[min(1, len(results) - 1)], results[-1]
    return {
        "runs": results,
        "master": master,
        "cores": cores,
        "load_average": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
        "rows_per_second": round(median),  # median over runs 2..n (run 1 also creates the table)
        "rows_per_second_per_core": round(median / cores),
        "last_over_second": round(last["seconds"] / second["seconds"], 2),
        "table_growth": round(last["table_rows"] / second["table_rows"], 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--rows", type=int, default=200_000, help="rows per batch (default 200,000)")
    p.add_argument("--master", default="local[*]")
    p.add_argument("--keyless", action="store_true", help="the dataset without its key (each batch is appended)")
    p.add_argument("--json", action="store_true", help="print one JSON object (logs go to stderr)")
    p.add_argument("--keep", action="store_true", help="keep the generated data and the table")
    args = p.parse_args()
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else (lambda m: print(m, flush=True))

    work = Path(tempfile.mkdtemp(prefix="bench-glue-"))
    try:
        results = run_batches(work, args.runs, args.rows, args.master, log, args.keyless)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    cores = os.cpu_count() or 1
    summary = {**report(results, cores, args.master), "rows_per_batch": args.rows, "keyless": args.keyless}
    if args.json:
        print(json.dumps(summary))
    else:
        log(
            f"{summary['rows_per_second']:,} rows/s ({summary['rows_per_second_per_core']:,} per core, {cores} cores, "
            f"load {summary['load_average']}); last run {summary['last_over_second']}x the second, "
            f"table {summary['table_growth']}x larger"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
