"""What the deployed stack puts in the emulated account before any data arrives: each dataset's final table is an
Iceberg v2 table in the catalog (a real metadata file, copy-on-write, partitioned as the config says), with its
three table optimizers (STAND-IN: validated and recorded), the crawler only on its schedule, and the jobs started
with Iceberg's GlueCatalog. No Spark runs here."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import REPO, pretty

from emulator.glue_runtime import job_spark_conf
from emulator.pipeline import iceberg_metadata

COPY_ON_WRITE = {f"write.{op}.mode": "copy-on-write" for op in ("delete", "update", "merge")}


@pytest.fixture(scope="module")
def config(cli) -> dict:
    """The repository's config as the app loads it (defaults applied), from the built loader."""
    script = "const l=require('./dist/config/load');console.log(JSON.stringify(l.loadPipelineConfig(l.DEFAULT_CONFIG_PATH,{})))"
    out = subprocess.run(["node", "-e", script], cwd=REPO, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_each_final_table_is_an_empty_iceberg_v2_table_partitioned_as_configured(emulated, config):
    account, deployment = emulated.account, emulated.deployment
    glue = account.client("glue")
    final_bucket = deployment.output("FinalBucketName")
    for dataset in config["datasets"]:
        name = dataset["name"]
        table = glue.get_table(DatabaseName=deployment.output("GlueDatabaseName"), Name=name)["Table"]
        assert table["Parameters"]["table_type"] == "ICEBERG", pretty(table)
        metadata = iceberg_metadata(account, deployment, name)
        assert metadata["format-version"] == 2
        assert metadata["location"] == f"s3://{final_bucket}/final_output/{name}"
        assert metadata["properties"].items() >= COPY_ON_WRITE.items(), metadata["properties"]
        assert metadata["current-snapshot-id"] == -1
        fields = {f["id"]: f["name"] for f in metadata["schemas"][0]["fields"]}
        spec = metadata["partition-specs"][0]["fields"]
        assert [fields[p["source-id"]] for p in spec] == dataset["transforms"]["partitionBy"], pretty(spec)


def test_each_final_table_has_its_three_optimizers_with_the_configured_retention(emulated, config):
    deployment = emulated.deployment
    optimizers = {(p["TableName"], p["Type"]): p for p in deployment.optimizers.values()}
    names = [d["name"] for d in config["datasets"]]
    assert sorted(optimizers) == sorted(
        (n, t) for n in names for t in ("compaction", "retention", "orphan_file_deletion")
    )
    for name in names:
        retention = optimizers[(name, "retention")]["TableOptimizerConfiguration"]["RetentionConfiguration"]
        assert (
            retention["IcebergConfiguration"]["SnapshotRetentionPeriodInDays"]
            == config["catalog"]["snapshotRetentionDays"]
        )
        orphans = optimizers[(name, "orphan_file_deletion")]["TableOptimizerConfiguration"]
        days = orphans["OrphanFileDeletionConfiguration"]["IcebergConfiguration"]["OrphanFileRetentionPeriodInDays"]
        assert days == config["catalog"]["orphanFileRetentionDays"]


def test_the_crawler_runs_on_its_schedule_and_no_trigger_of_the_batch_path_starts_it(emulated, config):
    deployment = emulated.deployment
    (crawler_lid,) = deployment.resources("AWS::Glue::Crawler")
    crawler = deployment.physical[crawler_lid].ref
    schedule = deployment.properties(crawler_lid).get("Schedule", {}).get("ScheduleExpression")
    assert schedule == config["catalog"]["crawlerSchedule"]
    actions = [a for lid in deployment.resources("AWS::Glue::Trigger") for a in deployment.properties(lid)["Actions"]]
    assert all(a.get("CrawlerName") != crawler for a in actions), pretty(actions)
    assert sorted(a["JobName"] for a in actions if "JobName" in a) == sorted(
        deployment.physical[lid].ref for lid in deployment.resources("AWS::Glue::Job")
    )


def test_each_job_starts_spark_with_the_iceberg_glue_catalog_over_the_final_bucket(emulated, config):
    account, deployment = emulated.account, emulated.deployment
    final_bucket = deployment.output("FinalBucketName")
    for lid in deployment.resources("AWS::Glue::Job"):
        job = account.client("glue").get_job(JobName=deployment.physical[lid].ref)["Job"]
        args = job["DefaultArguments"]
        assert args["--datalake-formats"] == "iceberg"
        catalog = args["--iceberg_catalog"]
        conf = job_spark_conf(args)
        assert conf[f"spark.sql.catalog.{catalog}.catalog-impl"] == "org.apache.iceberg.aws.glue.GlueCatalog"
        assert conf[f"spark.sql.catalog.{catalog}.io-impl"] == "org.apache.iceberg.aws.s3.S3FileIO"
        assert conf[f"spark.sql.catalog.{catalog}.warehouse"] == f"s3://{final_bucket}/final_output/"
        assert "IcebergSparkSessionExtensions" in conf["spark.sql.extensions"]
        assert job.get("ExecutionClass", "STANDARD") == config["transform"]["executionClass"]
        assert job["NumberOfWorkers"] == config["transform"]["workers"]
