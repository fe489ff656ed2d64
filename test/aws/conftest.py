"""Fixtures of the emulated-account suite: the app synthesized by the real `cdk synth` (QuickSight off and on)
and a fresh emulated account per module, with the assembly deployed to it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from emulator.account import EmulatedAccount  # noqa: E402
from emulator.cloudformation import Deployment, deploy  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STACK = "CsvPipeline"
QUICKSIGHT_ON = [
    "-c",
    "quicksight.enabled=true",
    "-c",
    "quicksight.principalArn=arn:aws:quicksight:us-east-1:123456789012:user/default/admin",
]


def synth(outdir: Path, *context: str) -> Path:
    """`cdk synth` into a temporary cloud assembly, as a user runs it (cdk.json's app, the repository's config)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")}
    proc = subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "--no-notices", "-o", str(outdir), *context],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cdk synth failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return outdir


@pytest.fixture(scope="session")
def assembly(tmp_path_factory) -> Path:
    return synth(tmp_path_factory.mktemp("assembly"))


@pytest.fixture(scope="session")
def assembly_with_quicksight(tmp_path_factory) -> Path:
    return synth(tmp_path_factory.mktemp("assembly-qs"), *QUICKSIGHT_ON)


@pytest.fixture(scope="session")
def cli() -> Path:
    """The built CLI (npm test builds first; a lone `pytest test/aws` builds it here)."""
    entry = REPO / "dist" / "cli" / "csv-pipeline.js"
    if not entry.exists():
        subprocess.run(["npm", "run", "build"], cwd=REPO, check=True, capture_output=True)
    return entry


class Emulated:
    """An emulated account with one stack deployed, and a folder for Glue's bookmark state."""

    def __init__(self, account: EmulatedAccount, deployment: Deployment, state_dir: Path):
        self.account, self.deployment, self.state_dir = account, deployment, state_dir


def _deployed(tmp_path_factory, assembly_dir: Path, name: str):
    work = tmp_path_factory.mktemp(name)
    account = EmulatedAccount.start(work / "moto.log")
    try:
        yield Emulated(account, deploy(assembly_dir, STACK, account), work / "glue-state")
    finally:
        account.stop()
        if os.environ.get("KEEP_EMULATION"):
            print(f"emulation files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def emulated(tmp_path_factory, assembly):
    yield from _deployed(tmp_path_factory, assembly, "account")


@pytest.fixture(scope="module")
def emulated_with_quicksight(tmp_path_factory, assembly_with_quicksight):
    yield from _deployed(tmp_path_factory, assembly_with_quicksight, "account-qs")


def pretty(value) -> str:
    return json.dumps(value, indent=1, default=str)
