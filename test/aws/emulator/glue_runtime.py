"""Glue in the emulated account: job runs as Glue starts them (script and --extra-py-files downloaded under
their object keys' file names into one folder on the Python path, .zip/.whl archives on the path themselves,
DefaultArguments plus --JOB_NAME, the job role's credentials, Spark reading and
writing the emulated S3 through hadoop-aws S3A, the job's `--conf` settings and `--datalake-formats iceberg` jars
applied to its SparkSession as Glue 5.0 applies them, plus the only emulator-specific settings: each Iceberg
GlueCatalog's endpoints pointed at moto), a crawler STAND-IN, and the workflow's triggers as synthesized."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from .account import REGION, Credentials, EmulatedAccount
from .cloudformation import Deployment
from .events import glue_job_state_event, matching_rules

STANDIN = Path(__file__).with_name("awsglue_standin")
# Spark 3.5.4 (pyspark) is built on Hadoop 3.3.4: its S3A file system, from Maven Central on first use.
HADOOP_AWS = "org.apache.hadoop:hadoop-aws:3.3.4"
# The jars Glue 5.0 puts on the class path for `--datalake-formats` (Glue 5.0 ships Iceberg 1.7.1).
DATALAKE_PACKAGES = {
    "iceberg": [
        "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.7.1",
        "org.apache.iceberg:iceberg-aws-bundle:1.7.1",
    ]
}
GLUE_CATALOG_IMPL = "org.apache.iceberg.aws.glue.GlueCatalog"


@dataclass
class JobRun:
    job_name: str
    dataset: str
    state: str
    error_message: str
    logs: str
    alarm_rules: list[str]


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def job_spark_conf(args: dict[str, str]) -> dict[str, str]:
    """The job's `--conf` argument as Glue reads it: one value chaining several settings as
    "k1=v1 --conf k2=v2" (Glue's documented way to pass more than one)."""
    value = args.get("--conf", "").strip()
    if not value:
        return {}
    conf = {}
    for part in re.split(r"\s+--conf\s+", value):
        key, sep, val = part.strip().partition("=")
        if not sep or not key or " " in key:
            raise ValueError(f"--conf {value!r}: {part!r} is not key=value; chain settings as 'k1=v1 --conf k2=v2'")
        conf[key] = val.strip()
    return conf


def datalake_packages(args: dict[str, str]) -> list[str]:
    """The Maven packages Glue adds for `--datalake-formats` (only iceberg is emulated)."""
    formats = [f.strip() for f in args.get("--datalake-formats", "").split(",") if f.strip()]
    unknown = [f for f in formats if f not in DATALAKE_PACKAGES]
    if unknown:
        raise ValueError(
            f"--datalake-formats {unknown} is not emulated; the emulation knows {sorted(DATALAKE_PACKAGES)}"
        )
    return [p for f in formats for p in DATALAKE_PACKAGES[f]]


def emulator_endpoint_overrides(conf: dict[str, str], account: EmulatedAccount) -> dict[str, str]:
    """EMULATOR-ONLY settings: each Iceberg Glue catalog of the job's confs sends its Glue and S3 calls to the
    emulated account (moto, path-style S3). On AWS the SDK's default endpoints are right; the credentials and
    region come from the environment in both (the job role's session, AWS_REGION)."""
    overrides = {}
    for key, value in conf.items():
        m = re.fullmatch(r"spark\.sql\.catalog\.([^.]+)\.catalog-impl", key)
        if m and value == GLUE_CATALOG_IMPL:
            prefix = f"spark.sql.catalog.{m.group(1)}"
            overrides |= {
                f"{prefix}.glue.endpoint": account.endpoint,
                f"{prefix}.s3.endpoint": account.endpoint,
                f"{prefix}.s3.path-style-access": "true",
            }
    return overrides


def spark_submit_args(account: EmulatedAccount, args: dict[str, str] | None = None) -> str:
    """spark-submit arguments of the job's Spark: the job's own `--conf` settings and `--datalake-formats` jars
    (as Glue applies them), then the emulation's: S3A on the emulated S3 with the role's session (from the
    environment), the Iceberg
    catalogs' endpoint overrides, and small local resources."""
    args = args or {}
    job_conf = job_spark_conf(args)
    conf = {
        **job_conf,
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.endpoint": account.endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": REGION,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        # The role's session from the environment (AWS_ACCESS_KEY_ID, ..., AWS_SESSION_TOKEN, set by
        # run_glue_process), as Glue's SDK chain finds its role. Not Hadoop 3.3.4's TemporaryAWSCredentialsProvider:
        # its lazy init marks itself done before the credentials are set, so a second thread can read none
        # ("has no credentials"; seen when two tasks open a new S3A file system at once).
        "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
        "spark.hadoop.fs.s3a.attempts.maximum": "1",
        "spark.hadoop.fs.s3a.retry.limit": "1",
        **emulator_endpoint_overrides(job_conf, account),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.memory": "1g",
    }
    packages = ",".join([HADOOP_AWS, *datalake_packages(args)])
    return " ".join(
        [f"--packages {packages}", *[f"--conf {shlex.quote(f'{k}={v}')}" for k, v in conf.items()], "pyspark-shell"]
    )


@dataclass
class ProcessResult:
    state: str
    error_message: str
    logs: str


def run_glue_process(
    account: EmulatedAccount,
    creds: Credentials,
    script: Path,
    argv: list[str],
    args: dict[str, str],
    python_path: list[str],
    state_dir: Path,
) -> ProcessResult:
    """The job's Python process as Glue runs it: the role's session and region in the environment, the awsglue
    STAND-IN on the path, Spark started with spark_submit_args (the job's --conf and --datalake-formats)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYSPARK_SUBMIT_ARGS"}
    env.update(creds.env())
    env.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": account.endpoint,
            "PYTHONPATH": os.pathsep.join([*python_path, str(STANDIN)]),
            "GLUE_EMULATOR_STATE_DIR": str(state_dir),
            "PYSPARK_SUBMIT_ARGS": spark_submit_args(account, args),
        }
    )
    with tempfile.TemporaryDirectory(prefix="emulated-glue-run-") as tmp:
        result_file = Path(tmp, "result.json")
        proc = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("glue_job_process.py")),
                str(result_file),
                str(script),
                *argv,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp,
        )
        result = (
            json.loads(result_file.read_text())
            if result_file.exists()
            else {"state": "FAILED", "errorMessage": f"the job process died (exit {proc.returncode})"}
        )
    return ProcessResult(result["state"], result["errorMessage"], proc.stdout + proc.stderr)


def run_job(
    account: EmulatedAccount,
    deployment: Deployment,
    job_name: str,
    state_dir: Path,
    arguments: dict[str, str] | None = None,
) -> JobRun:
    """One job run as Glue does it (see the module comment); `arguments` override DefaultArguments, as
    StartJobRun's Arguments do. The Glue Job State Change event it ends with is matched against the stack's
    rules (alarm_rules)."""
    glue, s3 = account.client("glue"), account.client("s3")
    job = glue.get_job(JobName=job_name)["Job"]
    args = {**job.get("DefaultArguments", {}), **(arguments or {})}
    creds = account.assume(job["Role"], "glue.amazonaws.com")
    with tempfile.TemporaryDirectory(prefix="emulated-glue-") as tmp:
        work = Path(tmp, "python")
        work.mkdir()
        downloads = [job["Command"]["ScriptLocation"]] + [u for u in args.get("--extra-py-files", "").split(",") if u]
        python_path = [str(work)]
        for uri in downloads:
            bucket, key = _split(uri)
            local = work / key.rsplit("/", 1)[-1]
            local.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            if local.suffix in (".zip", ".whl", ".egg"):  # archives go on the path themselves, .py files by folder
                python_path.append(str(local))
        script = work / _split(job["Command"]["ScriptLocation"])[1].rsplit("/", 1)[-1]
        argv = ["--JOB_NAME", job_name, "--JOB_RUN_ID", f"jr_{uuid.uuid4().hex}"]
        for k, v in args.items():
            argv += [k, v]
        result = run_glue_process(account, creds, script, argv, args, python_path, state_dir)
    event = glue_job_state_event(job_name, result.state, "jr_emulated", result.error_message)
    spec = json.loads(args.get("--dataset_spec", "{}"))
    named = spec.get("dataset", "") if isinstance(spec, dict) else ""
    dataset = named if isinstance(named, str) else named.get("name", "")  # a plan names it; older specs nest it
    return JobRun(
        job_name,
        dataset,
        result.state,
        result.error_message,
        result.logs,
        matching_rules(account, deployment, event),
    )


# ---- crawler STAND-IN -----------------------------------------------------------------------------------------


def _classifier(deployment: Deployment, names: list[str]) -> dict:
    for lid in deployment.resources("AWS::Glue::Classifier"):
        props = deployment.properties(lid).get("CsvClassifier", {})
        if props.get("Name") in names or deployment.physical[lid].ref in names:
            return props
    return {}


def run_crawler(account: EmulatedAccount, deployment: Deployment, crawler_lid: str) -> str:
    """STAND-IN for a Glue crawler with the custom CSV classifier: for each S3 target with objects, one table
    named <TablePrefix><folder> whose columns are the header of the first object (all string, as the classifier
    gives for all-text files), at the target's location. A one-column header matches the classifier only when
    AllowSingleColumn is true, as Glue documents; otherwise no table is made. Runs with the crawler role's
    credentials, so its permissions are checked. Returns SUCCEEDED or FAILED."""
    props = deployment.properties(crawler_lid)
    creds = account.assume(props["Role"], "glue.amazonaws.com")
    s3, glue = account.client("s3", creds), account.client("glue", creds)
    classifier = _classifier(deployment, props.get("Classifiers", []))
    for target in props["Targets"].get("S3Targets", []):
        bucket, prefix = _split(target["Path"])
        keys = [
            o["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
            if not o["Key"].endswith("/")
        ]
        if not keys:
            continue
        first = s3.get_object(Bucket=bucket, Key=sorted(keys)[0], Range="bytes=0-65535")["Body"].read()
        header = next(
            csv.reader(
                io.StringIO(first.decode("utf-8", "replace").lstrip("\ufeff"), newline=""),
                delimiter=classifier.get("Delimiter", ","),
            ),
            [],
        )
        if len(header) < 2 and not classifier.get("AllowSingleColumn", False):
            continue
        name = props.get("TablePrefix", "") + prefix.rstrip("/").rsplit("/", 1)[-1]
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1", "areColumnsQuoted": "false"},
            "StorageDescriptor": {
                "Columns": [{"Name": c.lower(), "Type": "string"} for c in header],
                "Location": target["Path"],
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                    "Parameters": {
                        "separatorChar": classifier.get("Delimiter", ","),
                        "quoteChar": classifier.get("QuoteSymbol", '"'),
                    },
                },
            },
        }
        try:
            glue.get_table(DatabaseName=props["DatabaseName"], Name=name)
            glue.update_table(DatabaseName=props["DatabaseName"], TableInput=table_input)
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=props["DatabaseName"], TableInput=table_input)
    return "SUCCEEDED"


# ---- workflow -------------------------------------------------------------------------------------------------


@dataclass
class WorkflowRun:
    crawls: dict[str, str]
    jobs: list[JobRun]

    def job(self, dataset: str) -> JobRun:
        return next(j for j in self.jobs if j.dataset == dataset)


def run_workflow(account: EmulatedAccount, deployment: Deployment, start_type: str, state_dir: Path) -> WorkflowRun:
    """Starts the workflow's trigger of `start_type` (EVENT: the batched EventBridge trigger; SCHEDULED: the
    backstop) and follows the CONDITIONAL triggers as Glue does, until nothing more starts."""
    triggers = {lid: deployment.properties(lid) for lid in deployment.resources("AWS::Glue::Trigger")}
    crawler_lid = {deployment.physical[lid].ref: lid for lid in deployment.resources("AWS::Glue::Crawler")}
    run = WorkflowRun({}, [])
    done: dict[tuple[str, str], str] = {}  # ("crawler"|"job", name) -> state

    def start(actions: list[dict]) -> None:
        for action in actions:
            if "CrawlerName" in action:
                state = run_crawler(account, deployment, crawler_lid[action["CrawlerName"]])
                run.crawls[action["CrawlerName"]] = state
                done[("crawler", action["CrawlerName"])] = state
            else:
                job_run = run_job(account, deployment, action["JobName"], state_dir)
                run.jobs.append(job_run)
                done[("job", action["JobName"])] = job_run.state

    starters = [t for t in triggers.values() if t["Type"] == start_type]
    if not starters:
        raise AssertionError(
            f"the workflow has no {start_type} trigger; triggers: {[t['Type'] for t in triggers.values()]}"
        )
    for trigger in starters:
        start(trigger["Actions"])
    fired: set[str] = set()
    progressed = True
    while progressed:
        progressed = False
        for lid, trigger in triggers.items():
            if trigger["Type"] != "CONDITIONAL" or lid in fired:
                continue
            if _predicate_holds(trigger.get("Predicate", {}), done):
                fired.add(lid)
                start(trigger["Actions"])
                progressed = True
    return run


def _predicate_holds(predicate: dict, done: dict[tuple[str, str], str]) -> bool:
    results = []
    for c in predicate.get("Conditions", []):
        if "CrawlerName" in c:
            results.append(done.get(("crawler", c["CrawlerName"])) == c.get("CrawlState"))
        else:
            results.append(done.get(("job", c["JobName"])) == c.get("State"))
    return any(results) if predicate.get("Logical", "AND") == "ANY" else all(results) and bool(results)
