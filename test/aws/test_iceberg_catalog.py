"""Iceberg on the emulated account, below the deployed pipeline: the table CloudFormation creates (the Glue
STAND-IN's metadata), Glue's optimistic locking of UpdateTable, and Iceberg's GlueCatalog in a Spark started the
way the emulated Glue starts a job (its --conf and --datalake-formats), under a role IAM scopes to one table."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from emulator.account import ACCOUNT, REGION, EmulatedAccount
from emulator.glue_runtime import run_glue_process, spark_submit_args
from emulator.iceberg_tables import (
    IcebergTableError,
    create_iceberg_table,
    new_table_metadata,
    read_current_rows,
    read_metadata,
)

BUCKET, DATABASE = "lake-final", "lake"
LOCATION = f"s3://{BUCKET}/final_output/people/"
CREATE = {"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}}
COLUMNS = [
    {"Name": "id", "Type": "bigint"},
    {"Name": "name", "Type": "string"},
    {"Name": "joined", "Type": "timestamp"},
    {"Name": "amount", "Type": "decimal(10,2)"},
]
JOB_ARGS = {
    "--datalake-formats": "iceberg",
    "--conf": (
        "spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
        " --conf spark.sql.catalog.glue_catalog=org.apache.iceberg.spark.SparkCatalog"
        " --conf spark.sql.catalog.glue_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog"
        " --conf spark.sql.catalog.glue_catalog.io-impl=org.apache.iceberg.aws.s3.S3FileIO"
        f" --conf spark.sql.catalog.glue_catalog.warehouse=s3://{BUCKET}/final_output/"
    ),
}


def table_input(name: str, location: str) -> dict:
    return {"Name": name, "StorageDescriptor": {"Location": location, "Columns": COLUMNS}}


def test_new_table_metadata_follows_the_table_input_or_the_iceberg_table_input():
    from_columns = new_table_metadata(
        {**table_input("t", LOCATION), "PartitionKeys": [{"Name": "m", "Type": "string"}]}, CREATE
    )
    assert from_columns["format-version"] == 2 and from_columns["location"] == LOCATION.rstrip("/")
    assert [(f["name"], f["type"]) for f in from_columns["schemas"][0]["fields"]] == [
        ("id", "long"),
        ("name", "string"),
        ("joined", "timestamp"),
        ("amount", "decimal(10, 2)"),
        ("m", "string"),
    ]
    assert from_columns["partition-specs"][0]["fields"] == [
        {"name": "m", "transform": "identity", "source-id": 5, "field-id": 1000}
    ]
    detailed = {
        "IcebergInput": {
            "MetadataOperation": "CREATE",
            "IcebergTableInput": {
                "Location": LOCATION,
                "Schema": {"Fields": [{"Id": 1, "Name": "d", "Type": "date", "Required": False}]},
                "PartitionSpec": {"Fields": [{"SourceId": 1, "Transform": "month", "Name": "d_month"}]},
                "Properties": {"write.merge.mode": "copy-on-write"},
            },
        }
    }
    metadata = new_table_metadata({"Name": "t"}, detailed)
    assert metadata["partition-specs"][0]["fields"][0]["transform"] == "month"
    assert metadata["properties"] == {"write.merge.mode": "copy-on-write"}
    bad = json.loads(json.dumps(detailed))
    bad["IcebergInput"]["IcebergTableInput"]["PartitionSpec"]["Fields"][0]["Transform"] = "months"
    with pytest.raises(IcebergTableError, match="transform such as identity"):
        new_table_metadata({"Name": "t"}, bad)
    with pytest.raises(IcebergTableError, match="MetadataOperation CREATE"):
        new_table_metadata(table_input("t", LOCATION), {"IcebergInput": {}})


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """An account with the final bucket, a database, two Iceberg tables made as CloudFormation makes them, and a
    job role that may use only `people` (IAM on)."""
    work = tmp_path_factory.mktemp("iceberg")
    account = EmulatedAccount.start(work / "moto.log")
    try:
        s3, glue, iam = account.client("s3"), account.client("glue"), account.client("iam")
        s3.create_bucket(Bucket=BUCKET)
        glue.create_database(DatabaseInput={"Name": DATABASE})
        create_iceberg_table(glue, s3, DATABASE, table_input("people", LOCATION), CREATE)
        create_iceberg_table(glue, s3, DATABASE, table_input("other", f"s3://{BUCKET}/final_output/other/"), CREATE)
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": account.admin_arn}, "Action": "sts:AssumeRole"}],
        }
        role_arn = iam.create_role(RoleName="job", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        account.role_trust[role_arn] = {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ]
        }
        glue_arn = f"arn:aws:glue:{REGION}:{ACCOUNT}"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"],
                    "Resource": [
                        f"{glue_arn}:catalog",
                        f"{glue_arn}:database/{DATABASE}",
                        f"{glue_arn}:table/{DATABASE}/people",
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"arn:aws:s3:::{BUCKET}/final_output/people/*",
                },
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
            ],
        }
        iam.put_role_policy(RoleName="job", PolicyName="people", PolicyDocument=json.dumps(policy))
        yield account, role_arn, work
    finally:
        account.stop()


def test_update_table_with_a_stale_version_id_is_refused_as_glue_does(lake):
    account, _, _ = lake
    glue = account.client("glue")
    table = glue.get_table(DatabaseName=DATABASE, Name="other")["Table"]
    fields = ("Name", "StorageDescriptor", "TableType", "Parameters")
    update = {k: table[k] for k in fields}
    glue.update_table(DatabaseName=DATABASE, TableInput=update, VersionId=table["VersionId"])
    with pytest.raises(ClientError, match="ConcurrentModificationException"):
        glue.update_table(DatabaseName=DATABASE, TableInput=update, VersionId=table["VersionId"])


MERGE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.master("local[2]").getOrCreate()
    out = {}
    spark.sql("ALTER TABLE glue_catalog.lake.people SET TBLPROPERTIES ('write.merge.mode'='copy-on-write')")
    rows = "SELECT 1L AS id, 'Ada' AS name, timestamp'2024-01-01 10:00:00' AS joined, 1.50BD AS amount"
    rows += " UNION ALL SELECT 2L, 'Bob', timestamp'2024-01-02 10:00:00', 2.00BD"
    spark.sql(rows).createOrReplaceTempView("first")
    merge = ("MERGE INTO glue_catalog.lake.people t USING {} s ON t.id = s.id "
             "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    spark.sql(merge.format("first"))
    spark.sql("SELECT 2L AS id, 'Bobby' AS name, timestamp'2024-02-02 10:00:00' AS joined, 3.25BD AS amount"
              ).createOrReplaceTempView("second")
    spark.sql(merge.format("second"))
    out["rows"] = [r.asDict() for r in spark.sql("SELECT id, name FROM glue_catalog.lake.people ORDER BY id").collect()]
    try:
        spark.sql("SELECT * FROM glue_catalog.lake.other").collect()
        out["other"] = "read"
    except Exception as err:
        out["other"] = str(err)[:2000]
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, default=str)
    """
)


def test_glue_catalog_creates_merges_and_commits_through_the_emulated_catalog(lake):
    account, role_arn, work = lake
    glue, s3 = account.client("glue"), account.client("s3")
    created = glue.get_table(DatabaseName=DATABASE, Name="people")["Table"]["Parameters"]["metadata_location"]
    script, out = Path(work, "merge.py"), Path(work, "out.json")
    script.write_text(MERGE_SCRIPT)
    creds = account.assume(role_arn, "glue.amazonaws.com")
    assert "glue_catalog.glue.endpoint" in spark_submit_args(account, JOB_ARGS)
    result = run_glue_process(account, creds, script, [str(out)], JOB_ARGS, [], work / "state")
    assert result.state == "SUCCEEDED", f"{result.error_message}\n{result.logs[-5000:]}"
    seen = json.loads(out.read_text())
    assert seen["rows"] == [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bobby"}]
    assert "AccessDeniedException" in seen["other"], seen["other"]  # IAM scopes the role to `people`
    table = glue.get_table(DatabaseName=DATABASE, Name="people")["Table"]
    assert table["Parameters"]["table_type"] == "ICEBERG"
    location = table["Parameters"]["metadata_location"]
    assert location != created and location.startswith(LOCATION + "metadata/")
    metadata = read_metadata(s3, location)
    assert metadata["format-version"] == 2 and metadata["properties"]["write.merge.mode"] == "copy-on-write"
    rows = sorted(read_current_rows(s3, location), key=lambda r: r["id"])
    assert [(r["id"], r["name"], str(r["amount"])) for r in rows] == [(1, "Ada", "1.50"), (2, "Bobby", "3.25")]


def test_a_missing_key_is_access_denied_without_list_bucket_as_s3_answers(lake):
    account, role_arn, _ = lake
    iam = account.client("iam")
    trust = iam.get_role(RoleName="job")["Role"]["AssumeRolePolicyDocument"]
    blind_arn = iam.create_role(RoleName="blind", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    account.role_trust[blind_arn] = account.role_trust[role_arn]
    get_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}],
    }
    iam.put_role_policy(RoleName="blind", PolicyName="get", PolicyDocument=json.dumps(get_only))
    key = "final_output/people/no-such-object.json"
    lister = account.client("s3", account.assume(role_arn, "glue.amazonaws.com"))
    blind = account.client("s3", account.assume(blind_arn, "glue.amazonaws.com"))
    with pytest.raises(ClientError, match="NoSuchKey"):
        lister.get_object(Bucket=BUCKET, Key=key)
    with pytest.raises(ClientError, match="AccessDenied"):
        blind.get_object(Bucket=BUCKET, Key=key)
    with pytest.raises(ClientError, match="403"):
        blind.head_object(Bucket=BUCKET, Key=key)
    with pytest.raises(ClientError, match="404"):
        lister.head_object(Bucket=BUCKET, Key=key)
