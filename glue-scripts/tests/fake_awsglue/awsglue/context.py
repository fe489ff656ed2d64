"""FAKE awsglue.context (see __init__): GlueContext gives the session the test configured (spark_session only)."""

from pyspark.sql import SparkSession

from . import CALLS


class GlueContext:
    def __init__(self, spark_context):
        CALLS.append(("GlueContext", {}))
        self.spark_session = SparkSession.builder.getOrCreate()
