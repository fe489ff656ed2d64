"""Config-driven transforms from processed CSV rows to final rows, shared by the Glue job and the local job.

The rules are in TRANSFORMS.md (same folder). This module is plain PySpark (no awsglue) so it runs under
pip's pyspark in tests and on Glue 5.0 (shipped with --extra-py-files). The first part is pure: spec
parsing, the partition fields and the transform steps, all over DataFrames. The last part reads the
processed files; the Iceberg table is pipeline_batch.py's, the AWS calls glue_job.py's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Collection, Iterable, Mapping, Sequence
from urllib.parse import unquote, urlparse

from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

log = logging.getLogger("pipeline_transforms")

# The constants the TypeScript side defines (config/transform-plan.ts pipelineConstants): the plan kind and
# version this module executes, lineage and internal column names, type tables. Generated, never edited:
# `npm run gen:constants` rewrites the block; test/config/pipeline-constants.test.ts fails when it is stale.
# BEGIN GENERATED pipeline constants
_CONSTANTS = json.loads(r"""
{
  "planKind": "datasetJobSpec",
  "planVersion": 2,
  "lineage": {
    "sourceFile": "source_file",
    "ingestedAt": "ingested_at"
  },
  "internal": {
    "path": "__source_file_path",
    "mtime": "__source_file_mtime",
    "row": "__source_file_line",
    "file": "__source_file_name",
    "stale": "__stale"
  },
  "undeclaredType": "string",
  "lineageColumns": [
    "source_file",
    "ingested_at"
  ],
  "sqlTypeOf": {
    "string": "string",
    "integer": "bigint",
    "decimal": "decimal(18,2)",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "email": "string",
    "enum": "string"
  },
  "castTypes": [
    "string",
    "int",
    "bigint",
    "double",
    "boolean",
    "date",
    "timestamp"
  ]
}
""")
# END GENERATED pipeline constants

PLAN_KIND = _CONSTANTS["planKind"]
PLAN_VERSION = _CONSTANTS["planVersion"]

# Internal per-row columns the entry points add before the transform; never written.
FILE_COLUMN = _CONSTANTS["internal"]["path"]
MTIME_COLUMN = _CONSTANTS["internal"]["mtime"]
LINE_COLUMN = _CONSTANTS["internal"]["row"]
# The raw object's key (from the Lambda's report of the processed file): what source_file holds when known.
SOURCE_KEY_COLUMN = "__source_raw_key"
INTERNAL_COLUMNS = (FILE_COLUMN, MTIME_COLUMN, LINE_COLUMN, SOURCE_KEY_COLUMN)
# LINE_COLUMN orders the rows of one file: the start offset of the piece Spark read, then an id that grows along it.
LINE_TYPE = StructType([StructField("piece", LongType()), StructField("row", LongType())])

SOURCE_FILE = _CONSTANTS["lineage"]["sourceFile"]
INGESTED_AT = _CONSTANTS["lineage"]["ingestedAt"]
LINEAGE_COLUMNS = tuple(_CONSTANTS["lineageColumns"])

# config/layout.ts SQL_TYPE_OF and config/schema.ts CAST_TYPES (the plan carries each column's type already).
SQL_TYPE_OF = _CONSTANTS["sqlTypeOf"]
CAST_TYPES = tuple(_CONSTANTS["castTypes"])

# How much of a processed file both entry points read for its header (glue_job from S3, local_job from disk).
HEADER_BYTES = 1 << 20


class SpecError(ValueError):
    """The dataset spec does not fit the data: raised before anything is written."""


class TypeConflictError(SpecError):
    """A column has one type in the final table and another in this run's data."""


# --------------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DerivedColumn:
    name: str
    expr: str  # the config's text, for messages
    type: str
    # The Spark SQL generated from the checked tree (config/expression), cast to `type`: what the job runs.
    sql: str


@dataclass(frozen=True)
class DatasetSpec:
    """The dataset's TransformPlan (config/transform-plan.ts, built by datasetJobSpec), as this module runs it.

    The config loader checked it; nothing here checks it again."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, config type) in config order
    key: tuple[str, ...]
    rename: Mapping[str, str]
    cast: Mapping[str, str]
    derive: tuple[DerivedColumn, ...]
    filter: str | None
    select: tuple[str, ...] | None
    partition_by: tuple[str, ...]
    final_columns: tuple[tuple[str, str], ...]  # finalSchema.columns (name, sql type)
    partition_columns: tuple[tuple[str, str], ...] = field(default=())  # finalSchema.partitionColumns
    filter_sql: str | None = None  # filter.sql.spark: the filter generated from its checked tree
    column_types: Mapping[str, str] = field(default_factory=dict)  # declared column -> the SQL type it is cast to
    final_key: tuple[str, ...] = ()  # the key with the renamed names (what the engines dedupe on)
    undeclared_type: str = "string"  # the type of a column the dataset does not declare (extraColumns "keep")

    @property
    def partition_types(self) -> dict[str, str]:
        return dict(self.partition_columns)


def _spec_refused(obj: Any, why: str) -> SpecError:
    got = {k: obj.get(k) for k in ("kind", "version")} if isinstance(obj, dict) else type(obj).__name__
    return SpecError(
        f"dataset spec: {why} (got {json.dumps(got, default=str)[:200]}). This module runs the TransformPlan "
        f'{{"kind": "{PLAN_KIND}", "version": {PLAN_VERSION}}} that datasetJobSpec(dataset) (config/job-spec.ts) '
        f"builds from the validated config: rebuild the spec with the config/ of this checkout."
    )


def parse_spec(obj: Any) -> DatasetSpec:
    """The plan JSON as a DatasetSpec. A spec of another kind, version or shape, or with other shared names, is
    refused with one message naming datasetJobSpec; its content is not checked rule by rule."""
    if not isinstance(obj, dict) or obj.get("kind") != PLAN_KIND or obj.get("version") != PLAN_VERSION:
        raise _spec_refused(obj, "not a TransformPlan this module runs")
    names = obj.get("names") or {}
    if names.get("lineage") != _CONSTANTS["lineage"] or names.get("internal") != _CONSTANTS["internal"]:
        raise _spec_refused(obj, "its lineage or internal column names differ from this module's")
    try:
        return _spec_from_plan(obj)
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise _spec_refused(obj, f"its shape is not the TransformPlan's ({type(err).__name__}: {err})") from err


def _spec_from_plan(plan: dict) -> DatasetSpec:
    final = plan["finalSchema"]
    filt = plan.get("filter")
    select = plan.get("select")
    return DatasetSpec(
        name=plan["dataset"],
        columns=tuple((c["name"], c["configType"]) for c in plan["columns"]),
        key=tuple(plan["key"]),
        rename=dict(plan["rename"]),
        cast=dict(plan["cast"]),
        derive=tuple(DerivedColumn(d["name"], d["text"], d["type"], d["sql"]["spark"]) for d in plan["derive"]),
        filter=filt["text"] if filt else None,
        select=tuple(select) if select else None,
        partition_by=tuple(plan["partitionBy"]),
        final_columns=tuple((c["name"], c["type"]) for c in final["columns"]),
        partition_columns=tuple((c["name"], c["type"]) for c in final["partitionColumns"]),
        filter_sql=filt["sql"]["spark"] if filt else None,
        column_types={c["name"]: c["type"] for c in plan["columns"]},
        final_key=tuple(plan["finalKey"]),
        undeclared_type=plan["names"]["undeclaredType"],
    )


def load_spec(text: str) -> DatasetSpec:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"dataset spec is not valid JSON ({err}): {text[:200]!r}") from err
    return parse_spec(obj)


# --------------------------------------------------------------------------------------------------
# Session settings both entry points need
# --------------------------------------------------------------------------------------------------

SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",  # a value that does not cast becomes null (TRANSFORMS.md step 1)
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.caseSensitive": "true",
    "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
}


def configure_session(spark: SparkSession) -> None:
    for k, v in SESSION_SETTINGS.items():
        spark.conf.set(k, v)


# --------------------------------------------------------------------------------------------------
# partitionBy: identity columns or Iceberg transforms (year(c), month(c), day(c), hour(c), bucket(N, c), truncate(N, c))
# --------------------------------------------------------------------------------------------------

_TIME_TRANSFORM = re.compile(r"^\s*(year|month|day|hour)\s*\(\s*([^(),\s]+)\s*\)\s*$", re.IGNORECASE)
_WIDTH_TRANSFORM = re.compile(r"^\s*(bucket|truncate)\s*\(\s*(\d+)\s*,\s*([^(),\s]+)\s*\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class PartitionField:
    """One partitionBy entry: the column it reads and the Iceberg transform (None = identity)."""

    column: str
    transform: str | None = None  # "year" | "month" | "day" | "hour" | "bucket" | "truncate"
    width: int | None = None  # N of bucket(N, c) / truncate(N, c)

    def sql(self) -> str:
        """The PARTITIONED BY / ADD PARTITION FIELD term, e.g. `months(d)` or `bucket(16, id)`."""
        quoted = "`" + self.column.replace("`", "``") + "`"
        if self.transform is None:
            return quoted
        if self.width is not None:
            return f"{self.transform}({self.width}, {quoted})"
        return f"{self.transform}s({quoted})"  # Spark's names: years, months, days, hours

    def key(self) -> str:
        """A canonical form to compare with the table's spec (DESCRIBE's '# Partitioning' rows)."""
        return self.sql().replace("`", "").replace(" ", "").lower()


def partition_field(entry: str) -> PartitionField:
    """Parses one partitionBy entry (config/ validates them; anything else is an identity column name)."""
    m = _TIME_TRANSFORM.match(entry)
    if m:
        return PartitionField(m.group(2), m.group(1).lower())
    m = _WIDTH_TRANSFORM.match(entry)
    if m:
        return PartitionField(m.group(3), m.group(1).lower(), int(m.group(2)))
    return PartitionField(entry)


def partition_fields(spec: DatasetSpec) -> list[PartitionField]:
    return [partition_field(p) for p in spec.partition_by]


def identity_partitions(spec: DatasetSpec) -> list[str]:
    """The columns partitioned by value: they go last in the column order, as in the Hive layout."""
    return [f.column for f in partition_fields(spec) if f.transform is None]


# --------------------------------------------------------------------------------------------------
# The transform steps (TRANSFORMS.md, steps 1-7)
# --------------------------------------------------------------------------------------------------


def col(name: str) -> Column:
    """A column by its exact name (dots, spaces and backticks are not interpreted)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _nullif_empty(c: Column) -> Column:
    return F.when(c == "", F.lit(None)).otherwise(c)


def _spark_message(err: Exception) -> str:
    text = str(err).strip()
    first = text.splitlines()[0] if text else type(err).__name__
    return first[:400]


def _data_columns(df: DataFrame) -> list[str]:
    return [c for c in df.columns if c not in INTERNAL_COLUMNS]


def _internal(df: DataFrame) -> list[Column]:
    return [col(c) for c in INTERNAL_COLUMNS if c in df.columns]


def apply_steps(df: DataFrame, spec: DatasetSpec, ingested_at: dt.datetime) -> DataFrame:
    """Steps 1-7 of TRANSFORMS.md over a frame of string columns plus FILE/MTIME/LINE columns.

    The plan is executed as it is: the config loader checked every name and expression in it."""
    where = f"dataset {spec.name!r}"
    input_columns = _data_columns(df)
    config_names = [n for n, _ in spec.columns]
    undeclared = sorted(c for c in input_columns if c not in config_names)
    available = config_names + undeclared

    # 1. cast
    casts = []
    for name, ctype in spec.columns:
        target = spec.column_types[name]
        source = _nullif_empty(col(name)) if name in input_columns else F.lit(None).cast(StringType())
        casts.append(source.cast(target).alias(name))
    for name in undeclared:
        casts.append(_nullif_empty(col(name)).cast(spec.undeclared_type).alias(name))
    df = df.select(*casts, *_internal(df))

    # 2. rename
    renamed = [spec.rename.get(c, c) for c in available]
    df = df.select(*[col(old).alias(new) for old, new in zip(available, renamed)], *_internal(df))

    # 3. derive
    columns = list(renamed)
    for i, d in enumerate(spec.derive):
        try:
            df = df.withColumn(d.name, F.expr(d.sql))
        except CapturedException as err:
            raise SpecError(
                f'{where}: transforms.derive[{i}].expr "{d.expr}" (as {d.type}) is not a valid '
                f"SQL expression over the columns {', '.join(columns)}: {_spark_message(err)}"
            ) from err
        columns.append(d.name)

    # 4. filter
    if spec.filter_sql:
        try:
            condition = F.expr(spec.filter_sql)
            df = df.filter(condition)
        except CapturedException as err:
            raise SpecError(
                f'{where}: transforms.filter "{spec.filter}" is not a valid SQL expression over '
                f"the columns {', '.join(columns)}: {_spark_message(err)}"
            ) from err

    # 5. select
    if spec.select:
        columns = list(spec.select)
        df = df.select(*[col(c) for c in columns], *_internal(df))

    # 6. dedupe
    if spec.key:
        latest_first = Window.partitionBy(*[col(k) for k in spec.final_key]).orderBy(
            col(MTIME_COLUMN).desc(), base_name(col(FILE_COLUMN)).desc(), col(LINE_COLUMN).desc()
        )
        df = df.withColumn("__rank", F.row_number().over(latest_first)).filter(F.col("__rank") == 1).drop("__rank")

    # 7. lineage
    source = col(SOURCE_KEY_COLUMN) if SOURCE_KEY_COLUMN in df.columns else base_name(col(FILE_COLUMN))
    df = df.withColumn(SOURCE_FILE, source).withColumn(
        INGESTED_AT, F.lit(format_timestamp(ingested_at)).cast("timestamp")
    )
    # '' and null are one partition value (the DuckDB engine's Hive folders cannot tell them apart)
    for part in identity_partitions(spec):
        if isinstance(df.schema[part].dataType, StringType):
            df = df.withColumn(part, _nullif_empty(col(part)))
    return df.select(*[col(c) for c in final_column_order(df.columns, spec)])


def base_name(path: Column) -> Column:
    """The file's base name from a path or URI (what source_file holds)."""
    return F.regexp_extract(path, r"([^/]+)$", 1)


def format_timestamp(moment: dt.datetime) -> str:
    """A UTC timestamp literal Spark and Athena read alike."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def final_column_order(columns: Iterable[str], spec: DatasetSpec) -> list[str]:
    """finalSchema order, then other columns by name, then lineage, then partition columns (TRANSFORMS.md step 8)."""
    present = [c for c in columns if c not in INTERNAL_COLUMNS]
    declared = [n for n, _ in spec.final_columns if n in present and n not in LINEAGE_COLUMNS]
    parts = [p for p in identity_partitions(spec) if p in present]
    lineage = [c for c in LINEAGE_COLUMNS if c in present]
    fixed = set(declared) | set(parts) | set(lineage)
    extras = sorted(c for c in present if c not in fixed)
    return declared + extras + lineage + parts


def output_schema(spark: SparkSession, input_columns: Sequence[str], spec: DatasetSpec) -> StructType:
    """The transform's output schema for these input columns: the steps run on an empty frame."""
    fields = [StructField(c, StringType()) for c in input_columns if c not in INTERNAL_COLUMNS]
    fields += [
        StructField(FILE_COLUMN, StringType()),
        StructField(MTIME_COLUMN, TimestampType()),
        StructField(LINE_COLUMN, LINE_TYPE),
    ]
    empty = spark.createDataFrame([], StructType(fields))
    return apply_steps(empty, spec, dt.datetime(2000, 1, 1)).schema


def transform(df: DataFrame, spec: DatasetSpec, ingested_at: dt.datetime) -> DataFrame:
    """Applies steps 1-7 of the plan (the config loader checked it; Spark analyses each step as it is added)."""
    return apply_steps(df, spec, ingested_at)


# --------------------------------------------------------------------------------------------------
# Spark reads/writes by path, shared by the entry points (no AWS here)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessedFile:
    """One processed CSV file of this run: where Spark reads it, its base name, modification time
    (UTC) and header (None for an empty file)."""

    path: str
    name: str
    mtime: dt.datetime
    header: tuple[str, ...] | None
    source: str | None = None  # the raw object's key (the Lambda's report), else source_file is `name`
    rows: int | None = None  # the data rows the Lambda wrote (its report's rowsValid), when known

    @property
    def source_file(self) -> str:
        return self.source if self.source is not None else self.name


def parse_csv_header(data: bytes) -> tuple[str, ...] | None:
    """The first record of a CSV file (its header) from the file's first bytes."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    for row in csv.reader(io.StringIO(text, newline="")):
        return tuple(row)
    return None


def read_processed_csv(
    spark: SparkSession, files: Sequence[ProcessedFile], whole: Collection[str] = ()
) -> DataFrame | None:
    """One frame over all files: string columns (the union of the headers, matched by name) plus
    FILE_COLUMN, MTIME_COLUMN and LINE_COLUMN. RFC 4180: quotes doubled inside quoted fields, quoted
    line breaks. A file whose row count is known (from its report) and whose name is not in `whole` is read
    line by line, which Spark splits into pieces read in parallel; the others are read whole (multiLine). A
    value holding a line break makes a line-by-line read miscount: see miscounted. None when no file has a header."""
    groups: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for f in files:
        if f.header is None:
            log.warning("skipping %s: the file is empty (no header)", f.name)
            continue
        if len(set(f.header)) != len(f.header) or any(not h for h in f.header):
            raise SpecError(
                f"{f.path}: the header {list(f.header)} has empty or repeated column names; processed "
                f"files have unique names (re-run the preprocessing of that file)."
            )
        by_lines = read_by_lines(f, whole)
        groups.setdefault((f.header, by_lines), []).append(f.path)
    if not groups:
        return None
    facts = spark.createDataFrame(
        [(f.name, _utc_naive(f.mtime), f.source_file) for f in files],
        StructType(
            [
                StructField("__name", StringType()),
                StructField(MTIME_COLUMN, TimestampType()),
                StructField(SOURCE_KEY_COLUMN, StringType()),
            ]
        ),
    )
    frames = [_read_csv(spark, header, by_lines, paths) for (header, by_lines), paths in groups.items()]
    df = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
    df = df.withColumn("__name", base_name(col(FILE_COLUMN)))
    return df.join(F.broadcast(facts), "__name").drop("__name")


def _read_csv(spark: SparkSession, header: tuple[str, ...], by_lines: bool, paths: list[str]) -> DataFrame:
    schema = StructType([StructField(h, StringType()) for h in header])
    frame = (
        spark.read.schema(schema)
        .option("header", "true")
        .option("multiLine", "false" if by_lines else "true")
        .option("escape", '"')
        .option("encoding", "UTF-8")
        .option("mode", "PERMISSIVE")
        .csv(paths)
    )
    line = F.struct(F.input_file_block_start().alias("piece"), F.monotonically_increasing_id().alias("row"))
    return frame.withColumn(FILE_COLUMN, F.input_file_name()).withColumn(LINE_COLUMN, line)


def read_by_lines(f: ProcessedFile, whole: Collection[str] = ()) -> bool:
    """Whether read_processed_csv reads the file line by line: its row count is known (its report) to check the
    read against (miscounted), it has two columns or more (a one-column file writes an empty value as an empty
    line, which Spark skips: a miscount that a value's line break could cancel out), and it is not in `whole`."""
    return f.rows is not None and f.header is not None and len(f.header) > 1 and f.name not in whole


def rows_per_file(df: DataFrame) -> dict[str, int]:
    """The rows of each file (by base name) in a frame of read_processed_csv: one pass over it."""
    return {r[0]: r[1] for r in df.groupBy(base_name(col(FILE_COLUMN))).count().collect()}


def miscounted(counts: Mapping[str, int], files: Sequence[ProcessedFile], whole: Collection[str] = ()) -> list:
    """The files read line by line (read_processed_csv) whose rows (`counts`, rows_per_file) differ from their
    report's count: a value of theirs holds a line break (each such record reads as two rows or more), so they
    must be read whole (a file read line by line has two columns or more, so it has no blank line: no record
    reads as none)."""
    return [f for f in files if f.header is not None and read_by_lines(f, whole) and counts.get(f.name, 0) != f.rows]


def empty_input(spark: SparkSession) -> DataFrame:
    """An input frame with no rows and no data columns (a run with no readable file)."""
    return spark.createDataFrame(
        [],
        StructType(
            [
                StructField(FILE_COLUMN, StringType()),
                StructField(MTIME_COLUMN, TimestampType()),
                StructField(LINE_COLUMN, LINE_TYPE),
            ]
        ),
    )


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def local_path(uri: str) -> str:
    """A local path from a file: URI or a plain path (input_file_name gives URIs)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path)
    raise ValueError(f"not a local path: {uri}")


def file_basename(path: str) -> str:
    return os.path.basename(path.rstrip("/"))
