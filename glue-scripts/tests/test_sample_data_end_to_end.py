"""sample-data/ through the real preprocessing (csv-pipeline preprocess, the Lambda's core) and then the Spark job:
the processed files are made here exactly as the Lambda makes them, and the final rows are checked."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
import subprocess

import pytest

from conftest import FIXTURES, INGESTED_AT_VALUE, REPO, read_output, run_job, spec_fixture


def preprocess(dataset: str, out_dir):
    """Runs `csv-pipeline preprocess` (TypeScript, through ts-node) on sample-data/<dataset>.csv."""
    if shutil.which("npx") is None:
        pytest.skip("npx (Node.js) is not installed: the preprocessing core is TypeScript")
    out = out_dir / "processed" / dataset / f"{dataset}.csv"
    out.parent.mkdir(parents=True)
    done = subprocess.run(
        [
            "npx",
            "ts-node",
            "--transpile-only",
            "cli/csv-pipeline.ts",
            "preprocess",
            f"sample-data/{dataset}.csv",
            "--dataset",
            dataset,
            "--out",
            str(out),
            "--rejects",
            str(out_dir / f"{dataset}.rejects.jsonl"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 2), done.stderr  # 2: some rows rejected, as the samples intend
    return out


def test_signups_fixture_is_what_the_preprocessing_writes(tmp_path):
    processed = preprocess("signups", tmp_path)
    assert processed.read_text(encoding="utf-8") == (FIXTURES / "processed" / "signups" / "signups.csv").read_text(
        encoding="utf-8"
    )


def test_orders_sample_through_preprocessing_and_the_spark_job(spark, tmp_path):
    processed = preprocess("orders", tmp_path)
    spec = spec_fixture("orders")
    out = tmp_path / "final_output" / "orders"
    summary = run_job(spark, processed.parent, out, spec)
    assert summary["partitions"] == ["order_month=2024-11"]

    def order(order_id, at, amount, currency, paid):
        moment = dt.datetime.fromisoformat(at)
        return {
            "order_id": order_id,
            "customer_email": None,
            "ordered_at": moment,
            "amount": Decimal(amount),  # decimal(18,2) in the plan: exact
            "currency": currency,
            "paid": paid,
            "order_date": moment.date(),
            "source_file": "orders.csv",
            "ingested_at": INGESTED_AT_VALUE,
            "order_month": "2024-11",
        }

    rows = sorted(read_output(spark, out, spec), key=lambda r: r["order_id"])
    emails = [r.pop("customer_email") for r in rows]
    assert all(e and "@" in e for e in emails)
    # Order 1005 (amount -3.5) fails the filter "amount > 0". Order 1008 (amount "1,5", a decimal comma in a
    # column the sample decides is decimal point) is rejected INVALID_DECIMAL by the preprocessing.
    expected = [
        order(1001, "2024-11-01T09:15:00", "19.99", "EUR", True),
        order(1002, "2024-11-01T10:02:11", "5.00", "USD", True),
        order(1003, "2024-11-02T14:30:00", "120.50", "EUR", False),
        order(1009, "2024-11-04T09:30:00", "64.10", "GBP", None),
    ]
    for e in expected:
        e.pop("customer_email")
    assert rows == expected
