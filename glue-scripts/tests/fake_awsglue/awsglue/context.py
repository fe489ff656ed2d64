"""FAKE awsglue.context (see __init__): from_catalog reads a local folder registered in CATALOG_FOLDERS."""

from pyspark.sql import SparkSession

from . import CALLS, CATALOG_FOLDERS


class _DynamicFrame:
    def __init__(self, df):
        self._df = df

    def toDF(self):  # noqa: N802 (Glue's name)
        return self._df


class _Reader:
    def __init__(self, spark):
        self._spark = spark

    def from_catalog(self, database, table_name, transformation_ctx="", additional_options=None, **kwargs):
        CALLS.append(
            (
                "from_catalog",
                {
                    "database": database,
                    "table_name": table_name,
                    "transformation_ctx": transformation_ctx,
                    "additional_options": additional_options or {},
                },
            )
        )
        folder = CATALOG_FOLDERS[(database, table_name)]
        return _DynamicFrame(self._spark.read.option("header", "true").csv(folder))


class GlueContext:
    def __init__(self, spark_context):
        self.spark_session = SparkSession.builder.getOrCreate()
        self.create_dynamic_frame = _Reader(self.spark_session)
