"""A dataset without a key, deployed and run in the emulated account: the rows of a raw object replace that object's
earlier rows, so a re-upload of the same raw key that no longer holds a row takes it out of the final table (the
Iceberg MERGE the job commits), while another raw object's rows stay. The app is synthesized from the repository's
config with the key of `signups` removed and its partitionBy an Iceberg transform, month(signup_date), passed as
`-c config=...`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO, _deployed, synth
from test_deployed_pipeline import SAMPLES, assert_job_succeeded, comparable, local_final_rows

from emulator.pipeline import iceberg_metadata, read_final_table, run_pipeline_workflow, upload


@pytest.fixture(scope="module")
def keyless(tmp_path_factory):
    config = json.loads((REPO / "pipeline.config.json").read_text())
    config.pop("$schema", None)
    config["datasets"] = [d for d in config["datasets"] if d["name"] == "signups"]
    del config["datasets"][0]["key"]
    config["datasets"][0]["transforms"]["partitionBy"] = ["month(signup_date)"]
    path = tmp_path_factory.mktemp("keyless-config") / "pipeline.config.json"
    path.write_text(json.dumps(config, indent=1))
    assembly = synth(tmp_path_factory.mktemp("assembly-keyless"), "-c", f"config={path}")
    yield from _deployed(tmp_path_factory, assembly, "account-keyless")


def test_a_re_upload_replaces_the_raw_objects_rows_and_leaves_other_objects_rows(keyless, cli, tmp_path):
    account, deployment = keyless.account, keyless.deployment
    lines = (SAMPLES / "signups.csv").read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    upload(account, deployment, "raw/signups/a.csv", header + b"".join(rows[:8]))
    upload(account, deployment, "raw/signups/b.csv", header + b"".join(rows[8:]))
    assert_job_succeeded(run_pipeline_workflow(keyless), "signups")
    first = read_final_table(account, deployment, "signups")
    assert {r["source_file"] for r in first} == {"raw/signups/a.csv", "raw/signups/b.csv"}

    dropped = max(r["user_id"] for r in first if r["source_file"] == "raw/signups/a.csv")  # a row in the table
    shorter = header + b"".join(r for r in rows[:8] if r.split(b",")[0] != str(dropped).encode())
    upload(account, deployment, "raw/signups/a.csv", shorter)
    assert_job_succeeded(run_pipeline_workflow(keyless), "signups")
    after = read_final_table(account, deployment, "signups")

    a_file = Path(tmp_path, "a", "signups.csv")  # the CLI routes a file to the dataset named like it
    a_file.parent.mkdir()
    a_file.write_bytes(shorter)
    assert comparable([r for r in after if r["source_file"] == "raw/signups/a.csv"]) == comparable(
        local_final_rows(cli, "signups", [a_file])
    )
    assert comparable([r for r in after if r["source_file"] == "raw/signups/b.csv"]) == comparable(
        [r for r in first if r["source_file"] == "raw/signups/b.csv"]
    )
    assert dropped not in {r["user_id"] for r in after}
    assert len(after) == len(first) - 1
    metadata = iceberg_metadata(account, deployment, "signups")
    fields = {f["id"]: f["name"] for f in metadata["schemas"][-1]["fields"]}
    spec = next(p for p in metadata["partition-specs"] if p["spec-id"] == metadata["default-spec-id"])["fields"]
    assert [(fields[f["source-id"]], f["transform"]) for f in spec] == [("signup_date", "month")]
