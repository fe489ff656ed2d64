"""Config-driven transforms from processed CSV rows to final rows, shared by the Glue job and the local job.

The rules are in TRANSFORMS.md (same folder). This module is plain PySpark (no awsglue) so it runs under
pip's pyspark in tests and on Glue 5.0 (shipped with --extra-py-files). The first part is pure: spec
parsing, the transform steps and the merge with existing output, all over DataFrames. The last part
holds the few Spark reads/writes by path that both entry points share; AWS calls live in glue_job.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
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
INTERNAL_COLUMNS = (FILE_COLUMN, MTIME_COLUMN, LINE_COLUMN)

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

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# How much of a processed file both entry points read for its header (glue_job from S3, local_job from disk).
HEADER_BYTES = 1 << 20


class SpecError(ValueError):
    """The dataset spec does not fit the data: raised before anything is written."""


class TypeConflictError(SpecError):
    """A column has one type in the existing final data and another in this run's data."""


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
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",  # partition types come from the spec
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.caseSensitive": "true",
    "spark.sql.files.maxRecordsPerFile": "5000000",
    "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
}


def configure_session(spark: SparkSession) -> None:
    for k, v in SESSION_SETTINGS.items():
        spark.conf.set(k, v)
    # No _SUCCESS marker files among the Parquet partitions (Athena and DuckDB read the folder).
    spark.sparkContext._jsc.hadoopConfiguration().set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")


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
    for part in spec.partition_by:
        if part not in columns:
            raise SpecError(
                f'{where}: transforms.partitionBy names "{part}", which is not a final column '
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
    df = df.withColumn(SOURCE_FILE, base_name(col(FILE_COLUMN))).withColumn(
        INGESTED_AT, F.lit(format_timestamp(ingested_at)).cast("timestamp")
    )
    # Spark writes '' and null alike to the default partition and reads both back as null: make them one value
    for part in spec.partition_by:
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
    parts = [p for p in spec.partition_by if p in present]
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
# Merge with the existing output (TRANSFORMS.md "Merge with the existing output")
# --------------------------------------------------------------------------------------------------

PartitionValues = tuple  # one value per partition column, as Python values (None for null)


@dataclass
class MergePlan:
    """What to write: `rows` holds the full new content of `written_partitions`; `emptied_partitions`
    lose all their rows and must be deleted (with `emptied_dirs`, their folders as found)."""

    rows: DataFrame
    written_partitions: list[PartitionValues]
    emptied_partitions: list[PartitionValues]
    emptied_dirs: list[str]
    whole_output: bool  # no partitionBy: `rows` replaces the whole output


def check_type_conflicts(new_schema: StructType, existing_schema: StructType, spec: DatasetSpec) -> None:
    existing = {f.name: f.dataType.simpleString() for f in existing_schema.fields}
    for f in new_schema.fields:
        if f.name in INTERNAL_COLUMNS or f.name in spec.partition_by:
            continue
        old = existing.get(f.name)
        new = f.dataType.simpleString()
        if old is not None and old != new:
            raise TypeConflictError(
                f'dataset {spec.name!r}: type conflict in column "{f.name}": the existing final data has {old}, '
                f"this run produces {new}. Cast it back with transforms.cast, or write to a new output folder "
                f"(and recreate the final table)."
            )


def _null_safe_match(left: DataFrame, right: DataFrame, pairs: Sequence[tuple[str, str]]) -> Column:
    return reduce(lambda a, b: a & b, [left[lc].eqNullSafe(right[rc]) for lc, rc in pairs])


def _rows_to_tuples(rows: Iterable[Any]) -> list[PartitionValues]:
    return [tuple(r) for r in rows]


def merge_with_existing(
    new_rows: DataFrame, existing: DataFrame | None, input_files: Sequence[str], spec: DatasetSpec
) -> MergePlan:
    """The idempotent merge: stale existing rows (from this run's files, or with a key this run has)
    are replaced by this run's rows, per partition. `existing` holds the final rows read back (partition
    columns typed as in the spec) and FILE_COLUMN (the Parquet file's path); `input_files` are the base
    names of ALL this run's input files."""
    parts = list(spec.partition_by)
    new_rows = new_rows.select(*[col(c) for c in new_rows.columns if c not in INTERNAL_COLUMNS])
    if existing is None:
        if parts:
            written = sorted(_rows_to_tuples(new_rows.select(*[col(p) for p in parts]).distinct().collect()), key=repr)
        else:
            written = [()] if new_rows.limit(1).count() > 0 else []
        return MergePlan(new_rows, written, [], [], whole_output=not parts)

    check_type_conflicts(new_rows.schema, existing.schema, spec)
    files = sorted(set(input_files))
    stale = col(SOURCE_FILE).isin(files) if files else F.lit(False)
    marked = existing
    if spec.key:
        keys = new_rows.select(*[col(k).alias(f"__key{i}") for i, k in enumerate(spec.final_key)]).distinct()
        keys = keys.withColumn("__new_key", F.lit(True))
        condition = _null_safe_match(existing, keys, [(k, f"__key{i}") for i, k in enumerate(spec.final_key)])
        marked = existing.join(keys, condition, "left").drop(*[f"__key{i}" for i in range(len(spec.key))])
        stale = stale | col("__new_key").isNotNull()
    marked = marked.withColumn("__stale", stale)

    def finish(kept: DataFrame) -> DataFrame:
        kept = kept.drop("__stale", "__new_key", FILE_COLUMN)
        rows = kept.unionByName(new_rows, allowMissingColumns=True)
        return rows.select(*[col(c) for c in final_column_order(rows.columns, spec)])

    if not parts:
        any_stale = marked.filter(col("__stale")).limit(1).count() > 0
        any_new = new_rows.limit(1).count() > 0
        if not any_stale and not any_new:
            return MergePlan(new_rows.limit(0), [], [], [], whole_output=False)
        rows = finish(marked.filter(~col("__stale")))
        emptied = rows.limit(1).count() == 0
        return MergePlan(rows, [] if emptied else [()], [()] if emptied else [], [], whole_output=True)

    stale_parts = (
        marked.filter(col("__stale"))
        .select(*[col(p) for p in parts], F.regexp_extract(col(FILE_COLUMN), r"^(.*)/[^/]*$", 1).alias("__dir"))
        .distinct()
        .collect()
    )
    new_parts = set(_rows_to_tuples(new_rows.select(*[col(p) for p in parts]).distinct().collect()))
    stale_dirs: dict[PartitionValues, str] = {}
    for r in stale_parts:
        stale_dirs[tuple(r[: len(parts)])] = r["__dir"]
    affected = new_parts | set(stale_dirs)
    if not affected:
        return MergePlan(new_rows.limit(0), [], [], [], whole_output=False)
    part_schema = StructType([new_rows.schema[p] for p in parts])
    affected_df = new_rows.sparkSession.createDataFrame(sorted(affected, key=repr), part_schema)
    affected_df = affected_df.select(*[col(p).alias(f"__part{i}") for i, p in enumerate(parts)])
    kept = marked.filter(~col("__stale"))
    kept = kept.join(
        affected_df, _null_safe_match(kept, affected_df, [(p, f"__part{i}") for i, p in enumerate(parts)]), "left_semi"
    )
    kept_parts = set(_rows_to_tuples(kept.select(*[col(p) for p in parts]).distinct().collect()))
    written = sorted(new_parts | kept_parts, key=repr)
    emptied = sorted((p for p in affected if p not in new_parts and p not in kept_parts), key=repr)
    return MergePlan(finish(kept), written, emptied, [stale_dirs[p] for p in emptied], whole_output=False)


# --------------------------------------------------------------------------------------------------
# Hive partition paths and catalog values
# --------------------------------------------------------------------------------------------------

_HIVE_ESCAPED = set("\"#%'*/:=?\\\x7f{[]^") | {chr(i) for i in range(1, 0x20)}


def escape_path_name(value: str) -> str:
    """Hive/Spark escaping of a partition value in a folder name (ExternalCatalogUtils.escapePathName)."""
    return "".join(f"%{ord(ch):02X}" if ch in _HIVE_ESCAPED else ch for ch in value)


def partition_value_string(value: Any) -> str:
    """The partition value as Spark writes it in the folder name and as the catalog stores it."""
    if value is None:
        return HIVE_DEFAULT_PARTITION
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return format_timestamp(value).rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def partition_path(spec: DatasetSpec, values: PartitionValues) -> str:
    """e.g. "signup_month=2024-11/" (relative to the final output folder)."""
    return "".join(f"{p}={escape_path_name(partition_value_string(v))}/" for p, v in zip(spec.partition_by, values))


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
        [(f.name, _utc_naive(f.mtime)) for f in files],
        StructType([StructField("__name", StringType()), StructField(MTIME_COLUMN, TimestampType())]),
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


def read_existing_output(spark: SparkSession, path: str, spec: DatasetSpec) -> DataFrame | None:
    """The final rows already written under `path` (None when there are none), partition columns typed
    as the spec says, with FILE_COLUMN = the Parquet file's path."""
    try:
        df = spark.read.option("mergeSchema", "true").parquet(path)
    except CapturedException as err:
        message = str(err)
        if "PATH_NOT_FOUND" in message or "Path does not exist" in message or "UNABLE_TO_INFER_SCHEMA" in message:
            return None
        raise
    types = spec.partition_types
    for p in spec.partition_by:
        if p in df.columns:
            df = df.withColumn(p, col(p).cast(types.get(p, "string")))
    return df.withColumn(FILE_COLUMN, F.input_file_name())


def write_plan(plan: MergePlan, path: str, spec: DatasetSpec) -> None:
    """Writes the rows of the affected partitions (dynamic partition overwrite) or the whole output.
    Emptied partitions (and an emptied unpartitioned output) are the caller's to delete."""
    if plan.whole_output:
        if plan.written_partitions:
            plan.rows.write.mode("overwrite").parquet(path)
    elif plan.written_partitions:
        # One task per partition value: one file per partition (split at spark.sql.files.maxRecordsPerFile).
        rows = plan.rows.repartition(*[col(p) for p in spec.partition_by])
        rows.write.mode("overwrite").partitionBy(*spec.partition_by).parquet(path)


def local_path(uri: str) -> str:
    """A local path from a file: URI or a plain path (input_file_name gives URIs)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path)
    raise ValueError(f"not a local path: {uri}")


def file_basename(path: str) -> str:
    return os.path.basename(path.rstrip("/"))
