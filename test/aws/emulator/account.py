"""The emulated account: moto's server started with IAM enforcement, an administrator for deploying, and the
credentials of a role as the service that assumes it (Lambda, Glue, EventBridge) would get them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.config

REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
# The three unauthenticated calls that create the administrator; every later call is checked by IAM.
_ADMIN_SETUP_CALLS = 3
ADMIN_USER = "emulated-aws"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    session_token: str | None = None

    def env(self) -> dict[str, str]:
        env = {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EmulatedAccount:
    """moto on 127.0.0.1 with IAM on. `admin` deploys; `assume(role_arn, service)` acts as that service."""

    endpoint: str
    process: subprocess.Popen
    admin: Credentials = field(default=Credentials("", ""))
    role_trust: dict[str, dict] = field(default_factory=dict)  # role ARN -> trust policy from the template

    @classmethod
    def start(cls, log_path: Path) -> "EmulatedAccount":
        port = _free_port()
        env = {
            **os.environ,
            "INITIAL_NO_AUTH_ACTION_COUNT": str(_ADMIN_SETUP_CALLS),
            "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bootstrap",
            "AWS_SECRET_ACCESS_KEY": "bootstrap",
        }
        log = open(log_path, "wb")
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("moto_server.py")), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"moto server did not start on {endpoint}; see {log_path}")
                time.sleep(0.2)
        account = cls(endpoint=endpoint, process=process)
        account._create_admin()
        return account

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def _create_admin(self) -> None:
        iam = self.client("iam", Credentials("bootstrap", "bootstrap"))
        iam.create_user(UserName=ADMIN_USER)
        iam.put_user_policy(
            UserName=ADMIN_USER, PolicyName="AdministratorAccess", PolicyDocument=json.dumps(ADMIN_POLICY)
        )
        key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
        self.admin = Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    @property
    def admin_arn(self) -> str:
        return f"arn:{PARTITION}:iam::{ACCOUNT}:user/{ADMIN_USER}"

    def client(self, service: str, credentials: Credentials | None = None) -> Any:
        creds = credentials or self.admin
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            aws_session_token=creds.session_token,
            config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def trusted_services(self, role_arn: str) -> set[str]:
        """The service principals the role's trust policy (as synthesized) lets assume it."""
        services: set[str] = set()
        for statement in self.role_trust[role_arn].get("Statement", []):
            if statement.get("Effect") == "Allow" and "sts:AssumeRole" in _as_list(statement.get("Action")):
                services.update(_as_list((statement.get("Principal") or {}).get("Service")))
        return services

    def assume(self, role_arn: str, service: str) -> Credentials:
        """The role's credentials as `service` gets them: refused unless the synthesized trust policy names it."""
        if service not in self.trusted_services(role_arn):
            raise PermissionError(
                f"{service} cannot assume {role_arn}: its trust policy allows {sorted(self.trusted_services(role_arn))}"
            )
        sts = self.client("sts")
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName=service.split(".")[0])["Credentials"]
        return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
