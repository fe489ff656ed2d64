"""Runs a deployed Lambda function from its code asset in the emulated account: the zip the template's Code
points at is downloaded and extracted, the Handler is invoked by node with the template's Environment and the
function role's credentials (as Lambda gets them, by assuming the role). Node is this machine's (20), not the
template's runtime; memory and timeout are not enforced."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .account import REGION, EmulatedAccount
from .cloudformation import Deployment

INVOKER = Path(__file__).with_name("lambda_invoke.cjs")


@dataclass
class Invocation:
    result: Any
    logs: str


def invoke(account: EmulatedAccount, deployment: Deployment, logical_id: str, event: dict) -> Invocation:
    props = deployment.properties(logical_id)
    code = props["Code"]
    archive = account.client("s3").get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
    credentials = account.assume(props["Role"], "lambda.amazonaws.com")
    with tempfile.TemporaryDirectory(prefix="emulated-lambda-") as tmp:
        code_dir = Path(tmp, "code")
        zipfile.ZipFile(io.BytesIO(archive)).extractall(code_dir)
        event_file, result_file = Path(tmp, "event.json"), Path(tmp, "result.json")
        event_file.write_text(json.dumps(event))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NODE_OPTIONS"))}
        env.update({str(k): str(v) for k, v in (props.get("Environment") or {}).get("Variables", {}).items()})
        env.update(credentials.env())
        env.update(
            {
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL": account.endpoint,
                "AWS_LAMBDA_FUNCTION_NAME": deployment.physical[logical_id].ref,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "EMULATED_FUNCTION_ARN": deployment.physical[logical_id].attrs["Arn"],
            }
        )
        proc = subprocess.run(
            ["node", str(INVOKER), str(code_dir), props["Handler"], str(event_file), str(result_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        logs = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise RuntimeError(f"Lambda {logical_id} failed (exit {proc.returncode}):\n{logs[-4000:]}")
        return Invocation(json.loads(result_file.read_text()), logs)
