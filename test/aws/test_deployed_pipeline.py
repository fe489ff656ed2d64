"""The synthesized assembly, deployed to an emulated AWS account (moto with IAM enforcement) and run as AWS
runs it: upload -> EventBridge rule -> SQS -> Lambda (from its bundled asset) -> processed -> the workflow's event
trigger -> Glue jobs (the uploaded script and modules, the awsglue STAND-IN, real Spark with Iceberg's GlueCatalog
on the emulated Glue and S3; no crawler in the batch path) -> final Iceberg tables read through the catalog (their
current snapshot), compared row by row with the local DuckDB engine on the same files."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import REPO, pretty

from emulator.glue_runtime import run_job
from emulator.pipeline import (
    fire_schedules_into_workflow,
    read_final_table,
    read_json_table,
    run_pipeline_workflow,
    upload,
)

SAMPLES = REPO / "sample-data"
LINEAGE = {"source_file", "ingested_at"}


def comparable(rows: list[dict]) -> list[tuple]:
    """Rows without lineage columns (they name files and times that differ between runs), as sorted tuples."""

    def value(v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        if isinstance(v, decimal.Decimal):
            return str(v.normalize())
        return v

    return sorted(tuple(sorted((k, value(v)) for k, v in r.items() if k not in LINEAGE)) for r in rows)


def local_final_rows(cli: Path, dataset: str, files: list[Path]) -> list[dict]:
    """The same files through local mode (DuckDB engine): what the final table must hold."""
    import pyarrow.dataset as ds

    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            ["node", str(cli), "run", *map(str, files), "--workdir", work, "--engine", "duckdb"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        return (
            ds.dataset(Path(work, "final_output", dataset), format="parquet", partitioning="hive")
            .to_table()
            .to_pylist()
        )


def assert_job_succeeded(run, dataset):
    job = run.job(dataset)
    assert job.state == "SUCCEEDED", f"job of {dataset} {job.state}: {job.error_message}\n{job.logs[-6000:]}"
    assert job.alarm_rules == [], f"a successful run of {dataset} must not match an alarm rule: {job.alarm_rules}"


@pytest.fixture(scope="module")
def expected(cli):
    return {ds: comparable(local_final_rows(cli, ds, [SAMPLES / f"{ds}.csv"])) for ds in ("signups", "orders")}


def test_upload_of_one_dataset_reaches_its_final_table_and_no_other_job_fails(emulated, expected):
    account, deployment = emulated.account, emulated.deployment
    result = upload(account, deployment, "raw/signups/signups.csv", (SAMPLES / "signups.csv").read_bytes())

    assert [r for r in result.raw_rules if "Ingest" in r] == [
        next(r for r in deployment.resources("AWS::Events::Rule") if "signups" in r)
    ]
    assert [i.result for i in result.invocations] == [{"batchItemFailures": []}]
    processed = [k for k in result.processed_keys if k.startswith("processed/signups/")]
    assert len(processed) == 1, pretty(result.processed_keys)
    assert any("Orchestration" in r for r in result.processed_rules[processed[0]]), pretty(result.processed_rules)

    run = run_pipeline_workflow(emulated)
    assert run.crawls == {}, f"the batch path runs no crawler: {run.crawls}"
    assert_job_succeeded(run, "signups")
    assert_job_succeeded(run, "orders")  # no orders data yet: nothing to do is a success, not an alarm
    assert comparable(read_final_table(account, deployment, "signups")) == expected["signups"]
    assert read_final_table(account, deployment, "orders") == []


def test_second_dataset_arrives_and_the_first_is_left_as_it_was(emulated, expected):
    account, deployment = emulated.account, emulated.deployment
    before = read_final_table(account, deployment, "signups")
    upload(account, deployment, "raw/orders/orders.csv", (SAMPLES / "orders.csv").read_bytes())
    run = run_pipeline_workflow(emulated)
    assert_job_succeeded(run, "orders")
    assert_job_succeeded(run, "signups")
    assert comparable(read_final_table(account, deployment, "orders")) == expected["orders"]
    assert sorted(map(pretty, read_final_table(account, deployment, "signups"))) == sorted(map(pretty, before))


def test_uploading_the_same_file_again_changes_no_final_row(emulated, expected):
    account, deployment = emulated.account, emulated.deployment
    before = {t: comparable(read_final_table(account, deployment, t)) for t in ("signups", "orders")}
    result = upload(account, deployment, "raw/signups/signups.csv", (SAMPLES / "signups.csv").read_bytes())
    assert [i.result for i in result.invocations] == [{"batchItemFailures": []}]
    run = run_pipeline_workflow(emulated)
    assert_job_succeeded(run, "signups")
    assert_job_succeeded(run, "orders")
    after = {t: comparable(read_final_table(account, deployment, t)) for t in ("signups", "orders")}
    assert after == before
    assert after["signups"] == expected["signups"]


def test_a_re_upload_of_a_raw_object_without_a_row_takes_that_row_out_of_the_final_table(emulated, cli):
    """Keyed datasets (signups: key id) upsert by key, and the rows of a re-uploaded raw object that it no longer
    holds are deleted; source_file is the raw object's key. The table then equals the local DuckDB engine's rows
    of the new file."""
    account, deployment = emulated.account, emulated.deployment
    lines = (SAMPLES / "signups.csv").read_bytes().splitlines(keepends=True)
    dropped_id = int(lines[-1].split(b",")[0])
    shorter = b"".join(lines[:-1])
    before = read_final_table(account, deployment, "signups")
    assert dropped_id in {r["user_id"] for r in before}
    assert {r["source_file"] for r in before} == {"raw/signups/signups.csv"}
    upload(account, deployment, "raw/signups/signups.csv", shorter)
    run = run_pipeline_workflow(emulated)
    assert_job_succeeded(run, "signups")
    after = read_final_table(account, deployment, "signups")
    assert dropped_id not in {r["user_id"] for r in after}
    assert comparable(after) == comparable([r for r in before if r["user_id"] != dropped_id])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "signups.csv")
        path.write_bytes(shorter)
        assert comparable(after) == comparable(local_final_rows(cli, "signups", [path]))


NEW_SIGNUP = b"id,name,email,signup_date,status\n101,Grace Hopper,grace@example.com,2024-12-09,active\n"


def test_a_lost_event_is_caught_up_by_the_scheduled_backstop_run(emulated):
    account, deployment = emulated.account, emulated.deployment
    result = upload(account, deployment, "raw/signups/late.csv", NEW_SIGNUP)
    assert [i.result for i in result.invocations] == [{"batchItemFailures": []}]
    # The processed object's event never reaches the workflow (Glue does not guarantee it); the schedule does.
    run = fire_schedules_into_workflow(emulated)
    assert_job_succeeded(run, "signups")
    rows = read_final_table(account, deployment, "signups")
    assert [r["full_name"] for r in rows if r["user_id"] == 101] == ["Grace Hopper"]


def test_a_failed_run_names_its_cause_in_the_job_run_error_message(emulated):
    job_name = emulated.deployment.resolve(
        {"Ref": next(lid for lid in emulated.deployment.resources("AWS::Glue::Job") if "signups" in lid)}
    )
    run = run_job(
        emulated.account, emulated.deployment, job_name, emulated.state_dir, {"--final_path": "final_output/signups/"}
    )  # StartJobRun with a bad argument override
    assert run.state == "FAILED"
    assert run.error_message.startswith('SpecError: --final_path "final_output/signups/" is not an s3:// URI')
    assert run.alarm_rules and all("GlueJobFailed" in r for r in run.alarm_rules)


def test_with_quicksight_on_the_assembly_deploys_and_ingests(emulated_with_quicksight):
    account, deployment = emulated_with_quicksight.account, emulated_with_quicksight.deployment
    assert deployment.resources("AWS::QuickSight::DataSet"), "QuickSight on must synthesize data sets"
    result = upload(account, deployment, "raw/signups/signups.csv", (SAMPLES / "signups.csv").read_bytes())
    assert [i.result for i in result.invocations] == [{"batchItemFailures": []}]
    assert any(k.startswith("processed/signups/") for k in result.processed_keys)


HOSTILE_REJECTS = (
    b"id,name,email,signup_date,status\r\n"
    b'201,"Multi\r\nline",not-an-email,2024-11-01,active\r\n'
    b"202,Back\\slash \\n,x@,2024-11-01,active\r\n"
    b'203,"Quote ""q"", comma",ok@example.com,2024-13-01,active\r\n'
    b"204,Fine,fine@example.com,2024-11-05,active\r\n"
)


def test_the_rejects_table_shows_exactly_the_rejected_rows_even_with_line_breaks_and_backslashes(emulated):
    account, deployment = emulated.account, emulated.deployment
    before = read_json_table(account, deployment, "signups_rejects")
    result = upload(account, deployment, "raw/signups/hostile.csv", HOSTILE_REJECTS)
    assert [i.result for i in result.invocations] == [{"batchItemFailures": []}]
    rows = [r for r in read_json_table(account, deployment, "signups_rejects") if r not in before]
    assert sorted(r["raw_record"] for r in rows) == [
        '201,"Multi\r\nline",not-an-email,2024-11-01,active',
        "202,Back\\slash \\n,x@,2024-11-01,active",
        '203,"Quote ""q"", comma",ok@example.com,2024-13-01,active',
    ]
    assert sorted(r["line"] for r in rows) == [2, 4, 5]
    report_key = next(k for k in result.processed_keys if k.startswith("reports/signups/"))
    report = json.loads(
        account.client("s3").get_object(Bucket=deployment.output("ProcessedBucketName"), Key=report_key)["Body"].read()
    )
    assert report["rowsRejected"] == len(rows) == 3


def test_iam_is_enforced_and_each_role_reaches_only_its_own_data(emulated):
    """The emulation would hide missing permissions if IAM were off: each role is refused what it must not do."""
    from botocore.exceptions import ClientError

    account, deployment = emulated.account, emulated.deployment
    roles = {lid: deployment.physical[lid].attrs["Arn"] for lid in deployment.resources("AWS::IAM::Role")}
    ingest = account.assume(next(a for lid, a in roles.items() if lid.startswith("IngestRole")), "lambda.amazonaws.com")
    orders_job = account.assume(next(a for lid, a in roles.items() if "Roleorders" in lid), "glue.amazonaws.com")
    processed, final = deployment.output("ProcessedBucketName"), deployment.output("FinalBucketName")

    def refused(call) -> bool:
        try:
            call()
        except ClientError as err:
            return err.response["Error"]["Code"] in ("AccessDenied", "403", "AccessDeniedException")
        return False

    s3_ingest, s3_orders = account.client("s3", ingest), account.client("s3", orders_job)
    assert refused(lambda: s3_ingest.put_object(Bucket=final, Key="final_output/signups/x.parquet", Body=b"x"))
    account.client("s3").put_object(Bucket=processed, Key="processed/signups/probe.csv", Body=b"id\n1\n")
    assert refused(lambda: s3_orders.get_object(Bucket=processed, Key="processed/signups/probe.csv"))
    account.client("s3").delete_object(Bucket=processed, Key="processed/signups/probe.csv")
    assert refused(lambda: s3_orders.put_object(Bucket=final, Key="final_output/signups/x.parquet", Body=b"x"))
    glue_orders = account.client("glue", orders_job)
    database = deployment.output("GlueDatabaseName")
    assert refused(lambda: glue_orders.get_table(DatabaseName=database, Name="signups"))
    assert glue_orders.get_table(DatabaseName=database, Name="orders")["Table"]["Name"] == "orders"
    with pytest.raises(PermissionError, match="trust policy"):
        account.assume(next(a for lid, a in roles.items() if "Roleorders" in lid), "lambda.amazonaws.com")
