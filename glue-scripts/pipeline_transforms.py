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
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import unquote, urlparse

from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, LongType, StringType, StructField, StructType, TimestampType

log = logging.getLogger("pipeline_transforms")

# Internal per-row columns the entry points add before the transform; never written.
FILE_COLUMN = "__source_file_path"
MTIME_COLUMN = "__source_file_mtime"
LINE_COLUMN = "__source_file_line"
# The raw object's key (from the Lambda's report of the processed file): what source_file holds when known.
SOURCE_KEY_COLUMN = "__source_raw_key"
INTERNAL_COLUMNS = (FILE_COLUMN, MTIME_COLUMN, LINE_COLUMN, SOURCE_KEY_COLUMN)

SOURCE_FILE = "source_file"
INGESTED_AT = "ingested_at"
LINEAGE_COLUMNS = (SOURCE_FILE, INGESTED_AT)

# config/layout.ts SQL_TYPE_OF and config/schema.ts CAST_TYPES, mirrored (checked by a test).
SQL_TYPE_OF = {
    "string": "string",
    "integer": "bigint",
    "decimal": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "email": "string",
    "enum": "string",
}
CAST_TYPES = ("string", "int", "bigint", "double", "boolean", "date", "timestamp")

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
    expr: str
    type: str
    # The Spark SQL generated from the checked tree (config/expression), cast to `type`: what the job runs.
    sql: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """The dataset config (after defaults) plus its finalSchema, as the CDK app and the CLI pass it."""

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
    filter_sql: str | None = None  # sparkSql.filter: the filter generated from its checked tree

    @property
    def partition_types(self) -> dict[str, str]:
        return dict(self.partition_columns)

    @property
    def final_key(self) -> tuple[str, ...]:
        """The key with the renamed names (`key` holds config column names, as the Lambda uses them)."""
        return tuple(self.rename.get(k, k) for k in self.key)


def _require(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in obj:
        raise SpecError(
            f'{where}: "{key}" is missing. Pass the spec datasetJobSpec(dataset) builds '
            f'({{"dataset", "finalSchema", "sparkSql"}}, config/job-spec.ts).'
        )
    value = obj[key]
    if not isinstance(value, kind):
        raise SpecError(f"{where}.{key}: expected {kind.__name__}, got {json.dumps(value)[:200]}.")
    return value


def parse_spec(obj: Any) -> DatasetSpec:
    """Checks the shape of the spec JSON and fills the config's defaults (config/schema.ts)."""
    if not isinstance(obj, dict):
        raise SpecError(f"dataset spec: expected a JSON object, got {json.dumps(obj)[:200]}.")
    ds = _require(obj, "dataset", dict, "dataset spec")
    fs = _require(obj, "finalSchema", dict, "dataset spec")
    name = _require(ds, "name", str, "dataset")
    where = f"dataset {name!r}"
    columns = []
    for i, c in enumerate(_require(ds, "columns", list, where)):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or c.get("type") not in SQL_TYPE_OF:
            raise SpecError(
                f"{where}.columns[{i}]: expected {{name, type}} with type one of "
                f"{', '.join(SQL_TYPE_OF)}, got {json.dumps(c)[:200]}."
            )
        columns.append((c["name"], c["type"]))
    t = ds.get("transforms") or {}
    if not isinstance(t, dict):
        raise SpecError(f"{where}.transforms: expected an object, got {json.dumps(t)[:200]}.")
    cast = dict(t.get("cast") or {})
    for col, typ in cast.items():
        if typ not in CAST_TYPES:
            raise SpecError(
                f'{where}.transforms.cast["{col}"]: "{typ}" is not a cast type; use one of {", ".join(CAST_TYPES)}.'
            )
    derive = []
    for i, d in enumerate(t.get("derive") or []):
        if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not isinstance(d.get("expr"), str):
            raise SpecError(
                f"{where}.transforms.derive[{i}]: expected {{name, expr, type}}, got {json.dumps(d)[:200]}."
            )
        typ = d.get("type", "string")
        if typ not in CAST_TYPES:
            raise SpecError(
                f'{where}.transforms.derive[{i}].type: "{typ}" is not a cast type; use one of {", ".join(CAST_TYPES)}.'
            )
        derive.append(DerivedColumn(d["name"], d["expr"], typ))

    def pairs(items: Any, label: str) -> tuple[tuple[str, str], ...]:
        if not isinstance(items, list):
            raise SpecError(f"finalSchema.{label}: expected a list of {{name, type}}, got {json.dumps(items)[:200]}.")
        return tuple((c["name"], c["type"]) for c in items)

    derive, filter_sql = _with_spark_sql(obj.get("sparkSql"), derive, t.get("filter"), where)
    select = t.get("select")
    return DatasetSpec(
        name=name,
        columns=tuple(columns),
        key=tuple(ds.get("key") or ()),
        rename=dict(t.get("rename") or {}),
        cast=cast,
        derive=tuple(derive),
        filter=t.get("filter"),
        select=tuple(select) if select else None,
        partition_by=tuple(t.get("partitionBy") or ()),
        final_columns=pairs(fs.get("columns", []), "columns"),
        partition_columns=pairs(fs.get("partitionColumns", []), "partitionColumns"),
        filter_sql=filter_sql,
    )


def _with_spark_sql(
    generated: Any, derive: list[DerivedColumn], filter_text: str | None, where: str
) -> tuple[list[DerivedColumn], str | None]:
    """Attaches the spec's `sparkSql` (config/job-spec.ts) to the derive columns and the filter; specs without it run the text."""
    if generated is None:
        return derive, None
    fix = "Rebuild the spec with datasetJobSpec(dataset) (config/job-spec.ts)."
    if not isinstance(generated, dict) or not isinstance(generated.get("derive"), list):
        raise SpecError(
            f"{where}.sparkSql: expected {{derive: [...], filter?}}, got {json.dumps(generated)[:200]}. {fix}"
        )
    names = [g.get("name") if isinstance(g, dict) else None for g in generated["derive"]]
    if names != [d.name for d in derive] or not all(isinstance(g.get("sql"), str) for g in generated["derive"]):
        raise SpecError(
            f"{where}.sparkSql.derive: names {names} with their sql do not match transforms.derive "
            f"{[d.name for d in derive]}. {fix}"
        )
    filter_sql = generated.get("filter")
    if (filter_text is None) != (filter_sql is None) or not isinstance(filter_sql, (str, type(None))):
        raise SpecError(
            f"{where}.sparkSql.filter: {json.dumps(filter_sql)[:200]} does not match transforms.filter. {fix}"
        )
    with_sql = [DerivedColumn(d.name, d.expr, d.type, g["sql"]) for d, g in zip(derive, generated["derive"])]
    return with_sql, filter_sql


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

    Spark analyses each step as it is added, so a bad spec raises SpecError here, before any data is
    read or written.
    """
    where = f"dataset {spec.name!r}"
    input_columns = _data_columns(df)
    for lineage in LINEAGE_COLUMNS:
        if lineage in input_columns:
            raise SpecError(
                f'{where}: the processed files have a column "{lineage}", which is a lineage '
                f"column the transform adds. Rename it in the raw files or with a column alias."
            )
    config_names = [n for n, _ in spec.columns]
    undeclared = sorted(c for c in input_columns if c not in config_names)
    available = config_names + undeclared

    # 1. cast
    for name in spec.cast:
        if name not in available:
            raise SpecError(
                f'{where}: transforms.cast names column "{name}", which is neither a config '
                f"column nor in the processed files (columns: {', '.join(available)})."
            )
    casts = []
    for name, ctype in spec.columns:
        target = spec.cast.get(name, SQL_TYPE_OF[ctype])
        source = _nullif_empty(col(name)) if name in input_columns else F.lit(None).cast(StringType())
        casts.append(source.cast(target).alias(name))
    for name in undeclared:
        casts.append(_nullif_empty(col(name)).cast(spec.cast.get(name, "string")).alias(name))
    df = df.select(*casts, *_internal(df))

    # 2. rename
    for old, new in spec.rename.items():
        if old not in available:
            raise SpecError(
                f'{where}: transforms.rename renames "{old}", which is neither a config column '
                f"nor in the processed files (columns: {', '.join(available)})."
            )
    renamed = [spec.rename.get(c, c) for c in available]
    seen: dict[str, str] = {}
    for old, new in zip(available, renamed):
        if new in LINEAGE_COLUMNS:
            raise SpecError(
                f'{where}: transforms.rename renames "{old}" to "{new}", which is a lineage column '
                f"the transform adds. Pick another name."
            )
        if new in seen:
            raise SpecError(
                f'{where}: transforms.rename gives two columns the name "{new}" '
                f'("{seen[new]}" and "{old}"). Pick a name no other column has.'
            )
        seen[new] = old
    df = df.select(*[col(old).alias(new) for old, new in zip(available, renamed)], *_internal(df))

    # 3. derive
    columns = list(renamed)
    for i, d in enumerate(spec.derive):
        if d.name in columns or d.name in LINEAGE_COLUMNS:
            raise SpecError(
                f'{where}: transforms.derive[{i}] names its column "{d.name}", which already '
                f"exists. Pick a new name (existing: {', '.join([*columns, *LINEAGE_COLUMNS])})."
            )
        try:
            df = df.withColumn(d.name, F.expr(d.sql if d.sql else f"CAST(({d.expr}) AS {d.type})"))
        except CapturedException as err:
            raise SpecError(
                f'{where}: transforms.derive[{i}].expr "{d.expr}" (as {d.type}) is not a valid '
                f"SQL expression over the columns {', '.join(columns)}: {_spark_message(err)}"
            ) from err
        columns.append(d.name)

    # 4. filter
    if spec.filter:
        try:
            # The generated SQL when the spec has it; the text is parenthesised: a trailing word is no alias.
            condition = F.expr(spec.filter_sql if spec.filter_sql else f"({spec.filter})")
            result_type = df.select(condition.alias("filter")).schema["filter"].dataType
        except CapturedException as err:
            raise SpecError(
                f'{where}: transforms.filter "{spec.filter}" is not a valid SQL expression over '
                f"the columns {', '.join(columns)}: {_spark_message(err)}"
            ) from err
        if not isinstance(result_type, BooleanType):
            raise SpecError(
                f'{where}: transforms.filter "{spec.filter}" gives {result_type.simpleString()}, '
                f'not boolean. Write a condition, e.g. "amount > 0".'
            )
        df = df.filter(condition)

    # 5. select
    if spec.select:
        missing = [c for c in spec.select if c not in columns]
        if missing:
            raise SpecError(
                f"{where}: transforms.select names {', '.join(missing)}, which "
                f"{'does' if len(missing) == 1 else 'do'} not exist after rename and derive "
                f"(columns: {', '.join(columns)})."
            )
        columns = list(spec.select)
        df = df.select(*[col(c) for c in columns], *_internal(df))
    for part in partition_fields(spec):
        if part.column not in columns:
            raise SpecError(
                f'{where}: transforms.partitionBy names "{part.column}", which is not a final column '
                f"(columns: {', '.join(columns)})."
            )

    # 6. dedupe
    if spec.key:
        missing = [f"{k} (renamed {r})" if k != r else k for k, r in zip(spec.key, spec.final_key) if r not in columns]
        if missing:
            raise SpecError(
                f"{where}: key names {', '.join(missing)}, not among the final columns "
                f"({', '.join(columns)}). Keep the key columns in transforms.select."
            )
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
    df = df.select(*[col(c) for c in final_column_order(df.columns, spec)])
    check_final_schema(df, spec)
    return df


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


def check_final_schema(df: DataFrame, spec: DatasetSpec) -> None:
    """The frame must give finalSchema's columns and types; a difference means the spec is stale."""
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    for name, expected in spec.final_columns + spec.partition_columns:
        actual = types.get(name)
        if actual != expected:
            raise SpecError(
                f'dataset {spec.name!r}: finalSchema says column "{name}" is {expected}, but the '
                f"transforms produce {actual or 'no such column'}. The spec's finalSchema is out of "
                f"date with its dataset config: regenerate it with finalSchema(dataset)."
            )


def validate_spec(spark: SparkSession, input_columns: Sequence[str], spec: DatasetSpec) -> StructType:
    """Runs every step on an empty frame with the input's columns; returns the output schema or raises SpecError."""
    fields = [StructField(c, StringType()) for c in input_columns if c not in INTERNAL_COLUMNS]
    fields += [
        StructField(FILE_COLUMN, StringType()),
        StructField(MTIME_COLUMN, TimestampType()),
        StructField(LINE_COLUMN, LongType()),
    ]
    empty = spark.createDataFrame([], StructType(fields))
    return apply_steps(empty, spec, dt.datetime(2000, 1, 1)).schema


def transform(df: DataFrame, spec: DatasetSpec, ingested_at: dt.datetime) -> DataFrame:
    """Validates the spec against the input's columns, then applies steps 1-7."""
    validate_spec(df.sparkSession, _data_columns(df), spec)
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

    @property
    def source_file(self) -> str:
        return self.source if self.source is not None else self.name


def parse_csv_header(data: bytes) -> tuple[str, ...] | None:
    """The first record of a CSV file (its header) from the file's first bytes."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    for row in csv.reader(io.StringIO(text, newline="")):
        return tuple(row)
    return None


def read_processed_csv(spark: SparkSession, files: Sequence[ProcessedFile]) -> DataFrame | None:
    """One frame over all files: string columns (the union of the headers, matched by name) plus
    FILE_COLUMN, MTIME_COLUMN and LINE_COLUMN. RFC 4180: quotes doubled inside quoted fields, quoted
    line breaks. None when no file has a header."""
    by_header: dict[tuple[str, ...], list[str]] = {}
    for f in files:
        if f.header is None:
            log.warning("skipping %s: the file is empty (no header)", f.name)
            continue
        if len(set(f.header)) != len(f.header) or any(not h for h in f.header):
            raise SpecError(
                f"{f.path}: the header {list(f.header)} has empty or repeated column names; processed "
                f"files have unique names (re-run the preprocessing of that file)."
            )
        by_header.setdefault(f.header, []).append(f.path)
    if not by_header:
        return None
    mtimes = spark.createDataFrame(
        [(f.name, _utc_naive(f.mtime), f.source_file) for f in files],
        StructType(
            [
                StructField("__name", StringType()),
                StructField(MTIME_COLUMN, TimestampType()),
                StructField(SOURCE_KEY_COLUMN, StringType()),
            ]
        ),
    )
    frames = []
    for header, paths in by_header.items():
        schema = StructType([StructField(h, StringType()) for h in header])
        frame = (
            spark.read.schema(schema)
            .option("header", "true")
            .option("multiLine", "true")
            .option("escape", '"')
            .option("encoding", "UTF-8")
            .option("mode", "PERMISSIVE")
            .csv(paths)
        )
        # ids grow along each file (multiLine files are never split): they order the rows of a file
        frames.append(
            frame.withColumn(FILE_COLUMN, F.input_file_name()).withColumn(LINE_COLUMN, F.monotonically_increasing_id())
        )
    df = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
    df = df.withColumn("__name", base_name(col(FILE_COLUMN)))
    return df.join(F.broadcast(mtimes), "__name").drop("__name")


def empty_input(spark: SparkSession) -> DataFrame:
    """An input frame with no rows and no data columns (a run with no readable file)."""
    return spark.createDataFrame(
        [],
        StructType(
            [
                StructField(FILE_COLUMN, StringType()),
                StructField(MTIME_COLUMN, TimestampType()),
                StructField(LINE_COLUMN, LongType()),
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
