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


def test_a_commit_refused_midway_leaves_the_table_as_it_was_and_the_next_run_completes(keyless):
    """Failure injected through IAM: the job role may not glue:UpdateTable, so the run writes its data files and
    then cannot commit. The table keeps its snapshot (readers see nothing of the run), the failure matches the
    alarm rule, and once the role may commit again the next run loads the file."""
    account, deployment = keyless.account, keyless.deployment
    glue, iam = account.client("glue"), account.client("iam")
    database = deployment.output("GlueDatabaseName")

    def metadata_location() -> str:
        return glue.get_table(DatabaseName=database, Name="signups")["Table"]["Parameters"]["metadata_location"]

    before, rows_before = metadata_location(), read_final_table(account, deployment, "signups")
    upload(
        account,
        deployment,
        "raw/signups/c.csv",
        b"id,name,email,signup_date,status\n301,Ada L,ada@example.com,2024-12-01,active\n",
    )
    (job_lid,) = deployment.resources("AWS::Glue::Job")
    role = glue.get_job(JobName=deployment.physical[job_lid].ref)["Job"]["Role"].rsplit("/", 1)[-1]
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "glue:UpdateTable", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=role, PolicyName="InjectedCommitFailure", PolicyDocument=json.dumps(deny))
    try:
        failed = run_pipeline_workflow(keyless).job("signups")
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="InjectedCommitFailure")
    assert failed.state == "FAILED", failed.logs[-3000:]
    assert "glue:UpdateTable" in failed.logs, failed.logs[-3000:]  # refused at the commit, after the writes
    assert failed.alarm_rules and all("GlueJobFailed" in r for r in failed.alarm_rules)
    assert metadata_location() == before
    assert read_final_table(account, deployment, "signups") == rows_before

    assert_job_succeeded(run_pipeline_workflow(keyless), "signups")
    after = read_final_table(account, deployment, "signups")
    assert [r["full_name"] for r in after if r["user_id"] == 301] == ["Ada L"]
    assert len(after) == len(rows_before) + 1
