"""S3 -> EventBridge -> target delivery as the synthesized rules define it: the "Object Created" event S3 sends
(key URL-encoded, as in S3 notifications), matched against each rule's EventPattern by moto's EventBridge
pattern matcher (moto.events EventPattern: its server's TestEventPattern API answers nothing), and delivered to SQS targets; then the Lambda event source mapping's receive, invoke and
delete, with the function role's credentials."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from urllib.parse import quote_plus

from .account import ACCOUNT, REGION, EmulatedAccount
from .cloudformation import Deployment
from .lambda_runtime import Invocation, invoke


def object_created_event(bucket: str, key: str, head: dict) -> dict:
    """The EventBridge event S3 sends for a new object (S3 user guide, "EventBridge event message structure")."""
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": head["ContentLength"],
        "etag": head["ETag"].strip('"'),
        "sequencer": "0055AED6DCD90281E5",
    }
    if head.get("VersionId") and head["VersionId"] != "null":
        obj["version-id"] = head["VersionId"]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": "EMULATED",
            "requester": ACCOUNT,
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }


def glue_job_state_event(job_name: str, state: str, run_id: str, message: str) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Glue Job State Change",
        "source": "aws.glue",
        "account": ACCOUNT,
        "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [],
        "detail": {
            "jobName": job_name,
            "severity": "INFO" if state == "SUCCEEDED" else "ERROR",
            "state": state,
            "jobRunId": run_id,
            "message": message,
        },
    }


def matching_rules(account: EmulatedAccount, deployment: Deployment, event: dict) -> list[str]:
    """Logical ids of the rules whose synthesized EventPattern matches the event (moto's pattern matcher)."""
    from moto.events.models import EventPattern

    matched = []
    for lid in deployment.resources("AWS::Events::Rule"):
        pattern = deployment.properties(lid).get("EventPattern")
        if pattern and EventPattern.load(json.dumps(pattern)).matches_event(event):
            matched.append(lid)
    return matched


def deliver_to_queues(account: EmulatedAccount, deployment: Deployment, event: dict) -> list[str]:
    """Sends the event to the SQS targets of every matching rule; returns the matched rules' logical ids."""
    sqs = account.client("sqs")
    rules = matching_rules(account, deployment, event)
    queues = {r.attrs["Arn"]: r.ref for r in deployment.physical.values() if r.attrs.get("QueueUrl")}
    for lid in rules:
        for target in deployment.properties(lid).get("Targets", []):
            if target["Arn"] in queues:
                sqs.send_message(QueueUrl=queues[target["Arn"]], MessageBody=json.dumps(event))
    return rules


def poll_queue_into_function(account: EmulatedAccount, deployment: Deployment, mapping_id: str) -> list[Invocation]:
    """One pass of the event source mapping: receive with the function's role, invoke with the SQS event,
    delete the messages not reported in batchItemFailures (ReportBatchItemFailures)."""
    mapping = deployment.properties(mapping_id)
    function_lid = next(
        lid
        for lid, p in deployment.physical.items()
        if p.ref == mapping["FunctionName"] or p.attrs.get("Arn") == mapping["FunctionName"]
    )
    role = deployment.properties(function_lid)["Role"]
    sqs = account.client("sqs", account.assume(role, "lambda.amazonaws.com"))
    queue = next(p for p in deployment.physical.values() if p.attrs.get("Arn") == mapping["EventSourceArn"])
    invocations = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue.ref, MaxNumberOfMessages=min(10, mapping.get("BatchSize", 10)), AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return invocations
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": mapping["EventSourceArn"],
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        }
        invocation = invoke(account, deployment, function_lid, event)
        invocations.append(invocation)
        failed = {f["itemIdentifier"] for f in (invocation.result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for m in done:
            sqs.delete_message(QueueUrl=queue.ref, ReceiptHandle=m["ReceiptHandle"])
        if failed:
            return invocations  # the failed messages become visible again after the visibility timeout
