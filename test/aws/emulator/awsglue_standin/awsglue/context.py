"""STAND-IN awsglue.context (see __init__): from_catalog over S3 with job bookmarks."""

import json
from pathlib import Path

import boto3
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType


class _Bookmarks:
    """Objects handed over per transformation_ctx: {ctx: {"s3://b/k": "etag"}}; saved at commit only."""

    def __init__(self):
        self.file = None
        self.enabled = False
        self.committed = {}
        self.pending = {}

    def begin(self, file: Path, enabled: bool):
        self.file, self.enabled = file, enabled
        self.committed = json.loads(file.read_text()) if enabled and file.exists() else {}
        self.pending = {}

    def new_objects(self, ctx, objects):
        seen = self.committed.get(ctx, {}) if self.enabled and ctx else {}
        fresh = {uri: etag for uri, etag in objects.items() if seen.get(uri) != etag}
        if self.enabled and ctx:
            self.pending.setdefault(ctx, {}).update(fresh)
        return sorted(fresh)

    def commit(self):
        if not self.enabled or self.file is None:
            return
        for ctx, objects in self.pending.items():
            self.committed.setdefault(ctx, {}).update(objects)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        self.file.write_text(json.dumps(self.committed, indent=1))
        self.pending = {}


BOOKMARKS = _Bookmarks()


class DynamicFrame:
    def __init__(self, df):
        self._df = df

    def toDF(self):  # noqa: N802 (Glue's name)
        return self._df


def _split(uri):
    without = uri.split("://", 1)[1]
    bucket, _, key = without.partition("/")
    return bucket, key


class _Reader:
    def __init__(self, spark):
        self._spark = spark

    def from_catalog(self, database, table_name, transformation_ctx="", additional_options=None, **_):
        glue, s3 = boto3.client("glue"), boto3.client("s3")
        table = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
        sd = table["StorageDescriptor"]
        bucket, prefix = _split(sd["Location"])
        objects = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                if not o["Key"].endswith("/"):
                    objects[f"s3://{bucket}/{o['Key']}"] = o["ETag"]
        paths = BOOKMARKS.new_objects(transformation_ctx, objects)
        columns = [c["Name"] for c in sd.get("Columns", [])]
        options = additional_options or {}
        if not paths:
            schema = StructType([StructField(c, StringType()) for c in columns])
            df = self._spark.createDataFrame([], schema)
            if options.get("attachFilename"):
                df = df.withColumn(options["attachFilename"], F.lit(None).cast("string"))
            return DynamicFrame(df)
        skip = int(table.get("Parameters", {}).get("skip.header.line.count", "0"))
        df = (
            self._spark.read.option("header", str(skip > 0).lower())
            .option("multiLine", "true")
            .option("escape", '"')
            .csv(paths)
        )
        if options.get("attachFilename"):
            df = df.withColumn(options["attachFilename"], F.input_file_name())
        return DynamicFrame(df)


class GlueContext:
    def __init__(self, spark_context):
        self.spark_session = SparkSession.builder.getOrCreate()
        self.create_dynamic_frame = _Reader(self.spark_session)
