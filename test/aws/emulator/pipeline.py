"""The user's path through the deployed pipeline, step by step in the emulated account: upload to the raw
bucket, S3's event through the synthesized rules to the queue, the Lambda's event source mapping, the
processed objects' events to the workflow rule, the workflow; and reading a final table through the catalog
(Iceberg: its current snapshot)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .account import ACCOUNT, REGION, EmulatedAccount
from .cloudformation import Deployment
from .events import deliver_to_queues, matching_rules, object_created_event, poll_queue_into_function
from .glue_runtime import WorkflowRun, run_workflow
from .iceberg_tables import read_current_rows, read_metadata
from .lambda_runtime import Invocation


@dataclass
class Upload:
    key: str
    raw_rules: list[str]
    invocations: list[Invocation]
    processed_keys: list[str]
    processed_rules: dict[str, list[str]] = field(default_factory=dict)


def _keys(account: EmulatedAccount, bucket: str, prefix: str = "") -> set[str]:
    s3 = account.client("s3")
    return {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    }


def upload(account: EmulatedAccount, deployment: Deployment, key: str, body: bytes) -> Upload:
    """Puts a file in the raw bucket as a user would, then delivers what S3 and EventBridge would deliver."""
    raw, processed = deployment.output("RawBucketName"), deployment.output("ProcessedBucketName")
    before = _keys(account, processed)
    s3 = account.client("s3")
    s3.put_object(Bucket=raw, Key=key, Body=body)
    head = s3.head_object(Bucket=raw, Key=key)
    raw_rules = deliver_to_queues(account, deployment, object_created_event(raw, key, head))
    mapping = next(iter(deployment.resources("AWS::Lambda::EventSourceMapping")))
    invocations = poll_queue_into_function(account, deployment, mapping)
    new_keys = sorted(_keys(account, processed) - before)
    result = Upload(key, raw_rules, invocations, new_keys)
    for new_key in new_keys:  # the processed bucket sends its events to EventBridge too
        event = object_created_event(processed, new_key, s3.head_object(Bucket=processed, Key=new_key))
        result.processed_rules[new_key] = matching_rules(account, deployment, event)
    return result


def run_pipeline_workflow(emulated, start_type: str = "EVENT") -> WorkflowRun:
    return run_workflow(emulated.account, emulated.deployment, start_type, emulated.state_dir)


def fire_schedules_into_workflow(emulated) -> WorkflowRun:
    """The stack's scheduled rules fire (EventBridge "Scheduled Event"s): those targeting the workflow send it an
    event, so its EVENT trigger starts a run once the batch window has passed."""
    deployment = emulated.deployment
    workflow_arns = {
        f"arn:aws:glue:{REGION}:{ACCOUNT}:workflow/{deployment.physical[lid].ref}"
        for lid in deployment.resources("AWS::Glue::Workflow")
    }
    scheduled = [
        deployment.properties(lid)
        for lid in deployment.resources("AWS::Events::Rule")
        if "ScheduleExpression" in deployment.template["Resources"][lid]["Properties"]
    ]
    if not any(t["Arn"] in workflow_arns for rule in scheduled for t in rule.get("Targets", [])):
        raise AssertionError(f"no scheduled rule targets the workflow: {scheduled}")
    return run_pipeline_workflow(emulated, "EVENT")


def _table_folder(account: EmulatedAccount, deployment: Deployment, table: str) -> tuple[dict, str, str]:
    """The catalog's definition of one of the stack's tables, and the bucket and folder ("…/") of its location."""
    definition = account.client("glue").get_table(DatabaseName=deployment.output("GlueDatabaseName"), Name=table)[
        "Table"
    ]
    bucket, _, prefix = definition["StorageDescriptor"]["Location"].split("://", 1)[1].partition("/")
    return definition, bucket, prefix if prefix.endswith("/") else prefix + "/"


def read_final_table(account: EmulatedAccount, deployment: Deployment, table: str) -> list[dict]:
    """The table's rows as a reader of the catalog sees them. An Iceberg table (table_type ICEBERG): the current
    snapshot of its metadata_location, read as Athena reads it (manifest list -> manifests -> data files). Else
    Parquet objects under the table's location, with Hive-style partition folders."""
    import pyarrow.dataset as ds

    s3 = account.client("s3")
    definition, bucket, prefix = _table_folder(account, deployment, table)
    parameters = definition.get("Parameters", {})
    if parameters.get("table_type", "").upper() == "ICEBERG":
        return read_current_rows(s3, parameters["metadata_location"])
    with tempfile.TemporaryDirectory() as tmp:
        count = 0
        for key in _keys(account, bucket, prefix):
            if key.endswith(".parquet") or (key.rsplit("/", 1)[-1].startswith("part-") and not key.endswith("/")):
                target = Path(tmp, key[len(prefix) :])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                count += 1
        if not count:
            return []
        return ds.dataset(tmp, format="parquet", partitioning="hive").to_table().to_pylist()


def iceberg_metadata(account: EmulatedAccount, deployment: Deployment, table: str) -> dict:
    """The current metadata JSON of one of the stack's Iceberg tables (schema, partition spec, properties,
    snapshots), through the catalog's metadata_location."""
    definition = account.client("glue").get_table(DatabaseName=deployment.output("GlueDatabaseName"), Name=table)[
        "Table"
    ]
    return read_metadata(account.client("s3"), definition["Parameters"]["metadata_location"])


def read_json_table(account: EmulatedAccount, deployment: Deployment, table: str) -> list[dict]:
    """A JSON-SerDe text table's rows as Athena reads them: every object under the table's location, split into
    lines as Hadoop's TextInputFormat does (LF, CR or CRLF), one JSON object per line."""
    import json
    import re

    s3 = account.client("s3")
    definition, bucket, prefix = _table_folder(account, deployment, table)
    serde = definition["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    if "JsonSerDe" not in serde:
        raise AssertionError(f"table {table} is read by {serde}, not a JSON SerDe")
    rows = []
    for key in sorted(_keys(account, bucket, prefix)):
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        rows += [json.loads(line) for line in re.split(r"\r\n|\r|\n", text) if line]
    return rows
