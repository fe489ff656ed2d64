"""One batch of processed files into the dataset's Iceberg table in one commit: what glue_job.py and local_job.py share."""

# What differs between the deployed job and a local run is behind BatchStorage: listing processed/<ds>/, each
# file's metadata and raw key (S3 or the file system), and the ledger of files already merged. The table side is
# the same on both: an Iceberg v2 table in a Spark catalog (GlueCatalog on AWS, a Hadoop catalog locally),
# created and evolved to fit the batch, then changed by ONE commit (one snapshot, all or nothing): a `MERGE INTO`,
# or an append for a keyless batch of raw objects new to the table.
# Like pipeline_transforms, this module is plain PySpark (no awsglue, no boto3); on AWS it ships in the same
# --extra-py-files zip (lib/transform.ts pythonModuleArchive). The rules are in TRANSFORMS.md.

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol, Sequence, Union

import pipeline_transforms as pt

log = logging.getLogger("pipeline_batch")

PathLike = Union[str, "os.PathLike[str]"]
MARKER = "__replace_source"  # source rows that stand for "delete the earlier rows of this raw object"
ACTION = "__action"  # keyed merge source: 'upsert' (a new row) or 'delete' (an earlier row of a re-sent object)
COPY_ON_WRITE = ("write.delete.mode", "write.update.mode", "write.merge.mode")
LEDGER_VERSION = 2
# The ledger's raw objects the table holds rows of: {raw key: {"mtime", "file"} of its newest merged version}.
SOURCES = "sources"
TABLE_SNAPSHOT = "tableSnapshot"  # the table snapshot that `sources` describes


@dataclass(frozen=True)
class IcebergTable:
    """The final table: `name` is the Spark identifier (catalog.database.table, quoted), `location` the
    LOCATION of CREATE TABLE (None: the catalog decides, as the local Hadoop catalog does)."""

    name: str
    location: str | None = None


def quote(*parts: str) -> str:
    """A multi-part Spark identifier, each part backquoted."""
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


class BatchStorage(Protocol):
    """Where the processed files are and what keeps track of the ones already merged."""

    def list_processed(self) -> list[pt.ProcessedFile]:
        """Every processed CSV file of the dataset (path as Spark reads it, name, modification time; no header yet)."""
        ...

    def describe(self, files: Sequence[pt.ProcessedFile]) -> list[pt.ProcessedFile]:
        """The files ready to merge, with header and raw key (a file whose Lambda report is missing is still
        being written: left out, it is read by a later run)."""
        ...

    def read_ledger(self) -> dict:
        """The ledger written by the last run ({} when there is none)."""
        ...

    def write_ledger(self, ledger: dict) -> None:
        """Stores the ledger (replacing it whole): before the commit (its raw objects only) and after it."""
        ...

    def published(self, snapshot: dict) -> None:
        """Called after each run with the current snapshot (id and data files): the local job writes the list
        the DuckDB reader uses; on AWS nothing (Athena reads the catalog)."""
        ...


# ---- local files -----------------------------------------------------------------------------------------------


def _plain_path(path: PathLike) -> str:
    """A local path from a plain path or a file: URI (only URIs are unquoted: '%' and '#' are valid in names)."""
    text = os.fspath(path)
    return pt.local_path(text) if text.startswith("file:") else text


def describe_local_files(paths: Sequence[PathLike], reports_dir: PathLike | None = None) -> list[pt.ProcessedFile]:
    """ProcessedFile entries from the file system: modification time, header and, with `reports_dir`, the raw
    key and row count from the Lambda's report <reports_dir>/<name>.json (files without a report are left out)."""
    described = []
    for path in paths:
        local = _plain_path(path)
        name = pt.file_basename(local)
        facts = ReportFacts(None, None)
        if reports_dir is not None:
            facts = read_report(Path(reports_dir) / report_name(name))
            if facts is None:
                log.info("skipping %s: no report yet (the preprocessing has not finished it)", name)
                continue
        with open(local, "rb") as f:
            head = f.read(pt.HEADER_BYTES)
        mtime = dt.datetime.fromtimestamp(os.stat(local).st_mtime, dt.timezone.utc)
        header = pt.parse_csv_header(head)
        described.append(pt.ProcessedFile(os.fspath(path), name, mtime, header, facts.source, facts.rows))
    return described


def report_name(processed_name: str) -> str:
    """reports/<ds>/<name>.json is the report of processed/<ds>/<name>.csv (lambda/core/keys.ts outputKeysFor)."""
    stem = processed_name[: -len(".csv")] if processed_name.endswith(".csv") else processed_name
    return stem + ".json"


class ReportFacts(NamedTuple):
    """What the job takes from the Lambda's report of a processed file: the raw key, and the number of rows it
    wrote (`rowsValid`; None when the report has none), which lets the file be read in parallel pieces."""

    source: str | None
    rows: int | None


def report_facts(text: str, where: str) -> ReportFacts:
    """The raw key (`source`) and row count (`rowsValid`) of a Lambda report's JSON text."""
    try:
        report = json.loads(text)
        source = report.get("source")
    except (ValueError, AttributeError) as err:
        raise ValueError(f"{where}: not a preprocessing report (JSON object with source): {text[:200]!r}") from err
    if not isinstance(source, str) or not source:
        raise ValueError(
            f'{where}: the report has no "source" (the raw key); got {source!r}. Re-run its preprocessing.'
        )
    rows = report.get("rowsValid")
    return ReportFacts(source, rows if isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0 else None)


def read_report(path: Path) -> ReportFacts | None:
    try:
        return report_facts(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return None


def write_json_atomically(path: PathLike, value: Any) -> None:
    """Writes JSON to a temp file beside `path`, then renames it over `path`: readers see the old or the new."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


SNAPSHOT_FILES = (
    "snapshot-files.json"  # in the table folder: local/tables.ts reads it (DuckDB has no Iceberg reader here)
)


class LocalStorage:
    """BatchStorage over local folders (the CLI's `--engine spark`, the tests)."""

    def __init__(self, input_dir: PathLike, ledger: PathLike, table_dir: PathLike, reports_dir: PathLike | None = None):
        self.input_dir, self.ledger = Path(input_dir), Path(ledger)
        self.table_dir, self.reports_dir = Path(table_dir), reports_dir

    def list_processed(self) -> list[pt.ProcessedFile]:
        if not self.input_dir.is_dir():
            raise FileNotFoundError(f"{self.input_dir}: no such folder; point --input at processed/<dataset>/.")
        files = sorted(p for p in self.input_dir.iterdir() if p.is_file() and p.name.endswith(".csv"))
        return [
            pt.ProcessedFile(str(p), p.name, dt.datetime.fromtimestamp(p.stat().st_mtime, dt.timezone.utc), None)
            for p in files
        ]

    def describe(self, files: Sequence[pt.ProcessedFile]) -> list[pt.ProcessedFile]:
        return describe_local_files([f.path for f in files], self.reports_dir)

    def read_ledger(self) -> dict:
        try:
            return json.loads(self.ledger.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def write_ledger(self, ledger: dict) -> None:
        write_json_atomically(self.ledger, ledger)

    def published(self, snapshot: dict) -> None:
        """<table>/snapshot-files.json: the current snapshot's data files, relative to the table folder."""
        table = self.table_dir.resolve()
        files = [os.path.relpath(_plain_path(f), table) for f in snapshot["files"]]
        listed = {"snapshotId": snapshot["snapshotId"], "files": sorted(files), "columns": snapshot["columns"]}
        write_json_atomically(table / SNAPSHOT_FILES, listed)


# ---- the batch -------------------------------------------------------------------------------------------------


def empty_summary() -> dict:
    """The counts of a run that had no new file: nothing read, nothing written."""
    return {"files": 0, "rowsIn": 0, "rowsOut": 0, "rowsWritten": 0, "partitions": []}


def _stamp(f: pt.ProcessedFile) -> str:
    return f.mtime.astimezone(dt.timezone.utc).isoformat() if f.mtime.tzinfo else f.mtime.isoformat()


def new_files(listed: Sequence[pt.ProcessedFile], ledger: dict) -> list[pt.ProcessedFile]:
    """The listed files the ledger does not hold: by name (processed names are unique per raw object version)
    and modification time (a file written again under its name is read again)."""
    loaded = ledger.get("files", {})
    return [f for f in listed if (loaded.get(f.name) or {}).get("mtime") != _stamp(f)]


def next_ledger(
    listed: Sequence[pt.ProcessedFile],
    ledger: dict,
    merged: Sequence[pt.ProcessedFile],
    snapshot,
    sources=None,
    table_snapshot=None,
) -> dict:
    """The ledger after a commit: the merged files added (with their raw object and the snapshot that merged
    them), entries of files no longer listed dropped. `sources` (the raw objects the table holds rows of, see
    with_sources) and `table_snapshot` (the table's snapshot they describe) replace the ledger's when given."""
    names = {f.name for f in listed}
    files = {n: e for n, e in ledger.get("files", {}).items() if n in names}
    files.update({f.name: {"mtime": _stamp(f), "source": f.source_file, "snapshot": snapshot} for f in merged})
    result = {"version": LEDGER_VERSION, "files": dict(sorted(files.items()))}
    if sources is None:
        sources, table_snapshot = ledger.get(SOURCES), ledger.get(TABLE_SNAPSHOT)
    if sources is not None:
        result[SOURCES] = dict(sorted(sources.items()))
        result[TABLE_SNAPSHOT] = table_snapshot
    return result


def trusted_sources(spark: Any, table: IcebergTable, ledger: dict, files: Sequence[pt.ProcessedFile]) -> dict:
    """The raw objects the table holds rows of: the ledger's list, unless a raw object of `files` is not on it
    and the table gained rows since the ledger described it (a commit other than compaction or a delete: a
    rollback, a restored ledger, a crash after a commit, rows written by hand); then the list is completed from
    the table itself (`SELECT DISTINCT source_file`). None of this when every raw object is listed: it is merged."""
    known = ledger.get(SOURCES)
    if known is not None and all(f.source_file in known for f in files):
        return known
    if known is not None and not rows_added_since(spark, table, ledger.get(TABLE_SNAPSHOT)):
        return known
    log.info("the ledger's raw objects may not be the table's: reading them from the table")
    found = sources_in_table(spark, table)
    return {**found, **(known or {})}


def rows_added_since(spark: Any, table: IcebergTable, recorded) -> bool:
    """Whether the table's current snapshot descends from `recorded` (None: the empty table) through commits that
    add no rows of a new raw object ('replace': compaction; 'delete'). Unknown ancestry (expired, rolled back)
    counts as added. Read through Iceberg's Table API (py4j calls on the loaded metadata, no Spark job)."""
    if not table_exists(spark, table):
        return False
    jvm = spark._jvm
    iceberg = jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, table.name)
    current = iceberg.currentSnapshot()
    node = current.snapshotId() if current is not None else None
    while node != recorded:
        snapshot = iceberg.snapshot(node) if node is not None else None
        if snapshot is None or snapshot.operation() not in ("replace", "delete"):
            return True
        node = snapshot.parentId()
    return False


def sources_in_table(spark: Any, table: IcebergTable) -> dict:
    """The raw objects (source_file values) the table holds rows of, read from the table (one column scan):
    what a ledger without its own list (written before it kept one, or lost) starts from."""
    if not table_exists(spark, table):
        return {}
    rows = spark.sql(f"SELECT DISTINCT {quote(pt.SOURCE_FILE)} FROM {table.name}").collect()
    return {r[0]: {"mtime": None, "file": None} for r in rows if r[0] is not None}


def with_sources(known: dict, files: Sequence[pt.ProcessedFile]) -> dict:
    """`known` plus the raw objects of `files`, each with its newest version (modification time, then name)."""
    merged = dict(known)
    for f in files:
        entry = merged.get(f.source_file) or {}
        if entry.get("mtime") is None or _version(entry["mtime"], entry["file"]) < (_utc(f.mtime), f.name):
            merged[f.source_file] = {"mtime": _stamp(f), "file": f.name}
    return merged


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _version(mtime: str, name: str) -> tuple[dt.datetime, str]:
    """A ledger entry's version of a raw object, ordered as newest_per_source orders files."""
    return _utc(dt.datetime.fromisoformat(mtime)), name


def superseded(files: Sequence[pt.ProcessedFile], ledger: dict) -> list[pt.ProcessedFile]:
    """The files of which a newer version of the same raw object (modification time, then name, as
    newest_per_source orders them) is already merged: an older version whose report came late must not
    replace the newer rows. They are recorded in the ledger, never merged."""
    versions = [(e.get("source"), e.get("mtime"), n) for n, e in ledger.get("files", {}).items()]
    versions += [(source, e.get("mtime"), e.get("file")) for source, e in ledger.get(SOURCES, {}).items()]
    newest: dict[str, tuple[dt.datetime, str]] = {}
    for source, mtime, name in versions:
        if source is None or mtime is None:
            continue  # an entry of an older ledger, or a raw object read from the table: its version is not known
        moment = _version(mtime, name)
        newest[source] = max(newest.get(source, moment), moment)
    return [f for f in files if f.source_file in newest and (_utc(f.mtime), f.name) < newest[f.source_file]]


def run_batch(
    spark: Any,
    plan: pt.DatasetSpec,
    table: IcebergTable,
    storage: BatchStorage,
    *,
    ingested_at: dt.datetime | None = None,
) -> dict:
    """Merges the processed files the ledger does not hold into the Iceberg table in one commit, then records
    them in the ledger (their raw objects are recorded before the commit). A run that fails leaves the table as
    it was (no commit) and the ledger's files unchanged, so the next run reads the same files; a run that fails
    after the commit but before the ledger write merges them again, which the MERGE makes harmless (TRANSFORMS.md
    "Loading into the Iceberg table")."""
    ingested_at = ingested_at or dt.datetime.now(dt.timezone.utc)
    pt.configure_session(spark)
    listed, ledger = storage.list_processed(), storage.read_ledger()
    candidates = new_files(listed, ledger)
    described = storage.describe(candidates) if candidates else []
    stale = superseded(described, ledger)
    fresh = [f for f in described if f not in stale]
    log.info(
        "batch: %d processed files, %d new, %d ready, %d superseded",
        len(listed),
        len(candidates),
        len(fresh),
        len(stale),
    )
    if not fresh:
        if stale:
            storage.write_ledger(next_ledger(listed, ledger, stale, None))
        if table_exists(spark, table):
            storage.published(current_snapshot(spark, table))
        return empty_summary()
    known = trusted_sources(spark, table, ledger, fresh)
    replacing = sorted({f.source_file for f in fresh if f.source_file in known})
    sources = with_sources(known, newest_per_source(fresh))

    def record_sources(snapshot_id) -> None:  # before the commit: the table never holds a raw object it lacks
        if sources != ledger.get(SOURCES):
            storage.write_ledger(next_ledger(listed, ledger, [], None, sources, snapshot_id))

    summary, snapshot = merge_files(spark, fresh, plan, table, ingested_at, replacing, record_sources)
    storage.write_ledger(next_ledger(listed, ledger, described, summary["snapshotId"], sources, summary["snapshotId"]))
    storage.published(snapshot)
    return summary


def merge_files(
    spark: Any,
    files: Sequence[pt.ProcessedFile],
    plan: pt.DatasetSpec,
    table: IcebergTable,
    ingested_at: dt.datetime,
    replacing: Sequence[str],
    before_commit: Any = lambda snapshot_id: None,
) -> tuple[dict, dict]:
    """Reads the files once, transforms them, fits the table to the rows and commits them (merge_into;
    `replacing`: the batch's raw objects the table may hold earlier rows of). Returns the counts and the
    table's snapshot after it."""
    raw, rows_in = read_batch(spark, newest_per_source(files))
    new_rows = pt.transform(raw, plan, ingested_at)  # a bad spec raises SpecError here, before anything is read
    data = new_rows.select(*[pt.col(c) for c in new_rows.columns if c not in pt.INTERNAL_COLUMNS])
    try:
        # Materialised (the MERGE reads its source more than once, and refuses the non-deterministic
        # input_file_name / monotonically_increasing_id in its lineage): the rows the MERGE sees are fixed.
        data = data.localCheckpoint(eager=True)
        rows_out = data.count()
        log.info("read %d rows from %d files, %d after the transforms", rows_in, len(files), rows_out)
        ensure_table(spark, table, data.schema, plan)
        before = current_snapshot(spark, table)
        before_commit(before["snapshotId"])
        merge_into(spark, table, data, sorted({f.source_file for f in files}), plan, replacing)
        after = current_snapshot(spark, table)
    finally:
        data.unpersist()
    changed = after["snapshotId"] != before["snapshotId"]
    log.info("snapshot %s (%s)", after["snapshotId"], "committed" if changed else "nothing to change")
    summary = {
        "files": len(files),
        "rowsIn": rows_in,
        "rowsOut": rows_out,
        "rowsWritten": after["addedRecords"] if changed else 0,
        "partitions": touched_partitions(before, after) if changed else [],
        "snapshotId": after["snapshotId"],
        "tableRows": after["totalRecords"],
    }
    return summary, after


def read_batch(spark: Any, files: Sequence[pt.ProcessedFile]) -> tuple[Any, int]:
    """The batch's rows (a frame over the files, not cached: merge_files materialises it once transformed) and
    their count. Files whose row count the report gives are read line by line, in pieces Spark reads in
    parallel; one whose rows then differ from that count holds a line break inside a value, and the batch is
    read again with that file read whole. The count is a pass of its own: Spark's CSV reader skips the columns
    it does not need, which costs less than caching the parsed rows (measured: bench:glue, README)."""
    whole: set[str] = set()
    while True:
        raw = pt.read_processed_csv(spark, files, whole)
        if raw is None:
            log.info("no processed rows: the batch's %d files are all empty", len(files))
            return pt.empty_input(spark), 0
        counts = pt.rows_per_file(raw)
        redo = pt.miscounted(counts, files, whole)
        if not redo:
            return raw, sum(counts.values())
        log.info("%d file(s) hold line breaks inside values, read whole: %s", len(redo), [f.name for f in redo])
        whole |= {f.name for f in redo}


def newest_per_source(files: Sequence[pt.ProcessedFile]) -> list[pt.ProcessedFile]:
    """Of each raw object (source_file), only its newest processed file in the batch (modification time, then
    name): a re-upload merged in the same batch as the version it replaces wins whole, like one merged later."""
    newest: dict[str, pt.ProcessedFile] = {}
    for f in files:
        seen = newest.get(f.source_file)
        if seen is None or (f.mtime, f.name) > (seen.mtime, seen.name):
            newest[f.source_file] = f
    return sorted(newest.values(), key=lambda f: f.name)


# ---- the Iceberg table -----------------------------------------------------------------------------------------


def table_exists(spark: Any, table: IcebergTable) -> bool:
    from pyspark.errors.exceptions.captured import AnalysisException

    try:
        spark.table(table.name).schema
        return True
    except AnalysisException as err:
        if "TABLE_OR_VIEW_NOT_FOUND" in str(err) or "NoSuchTable" in str(err):
            return False
        raise


def _ddl_columns(schema: Any) -> str:
    return ", ".join(f"{quote(f.name)} {f.dataType.simpleString()}" for f in schema.fields)


def create_table_sql(table: IcebergTable, schema: Any, plan: pt.DatasetSpec) -> str:
    """CREATE TABLE IF NOT EXISTS for the batch's columns: Iceberg v2, copy-on-write, partitioned as the spec says."""
    parts = pt.partition_fields(plan)
    partitioned = f" PARTITIONED BY ({', '.join(p.sql() for p in parts)})" if parts else ""
    location = f" LOCATION '{table.location}'" if table.location else ""
    properties = ", ".join(f"'{k}' = 'copy-on-write'" for k in COPY_ON_WRITE)
    return (
        f"CREATE TABLE IF NOT EXISTS {table.name} ({_ddl_columns(schema)}) USING iceberg{partitioned}{location} "
        f"TBLPROPERTIES ('format-version' = '2', {properties})"
    )


def ensure_table(spark: Any, table: IcebergTable, schema: Any, plan: pt.DatasetSpec) -> None:
    """Makes the table fit the batch before the MERGE: created if missing; else the batch's new columns added
    (at their place in the column order), missing partition fields added, copy-on-write set. These are metadata
    commits: they change no row. A column whose type differs from the table's raises TypeConflictError."""
    if not table_exists(spark, table):
        log.info("creating table %s", table.name)
        spark.sql(create_table_sql(table, schema, plan))
        return
    existing = {f.name: f.dataType.simpleString() for f in spark.table(table.name).schema.fields}
    check_type_conflicts(schema, existing, plan)
    previous = None
    for f in schema.fields:
        if f.name not in existing:
            place = f"AFTER {quote(previous)}" if previous else "FIRST"
            log.info("adding column %s %s to %s", f.name, f.dataType.simpleString(), table.name)
            spark.sql(f"ALTER TABLE {table.name} ADD COLUMN {quote(f.name)} {f.dataType.simpleString()} {place}")
        previous = f.name
    have = set(table_partition_keys(spark, table))
    for part in pt.partition_fields(plan):
        if part.key() not in have:
            log.info("adding partition field %s to %s", part.sql(), table.name)
            spark.sql(f"ALTER TABLE {table.name} ADD PARTITION FIELD {part.sql()}")
    properties = {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {table.name}").collect()}
    if any(properties.get(k) != "copy-on-write" for k in COPY_ON_WRITE):
        settings = ", ".join(f"'{k}' = 'copy-on-write'" for k in COPY_ON_WRITE)
        spark.sql(f"ALTER TABLE {table.name} SET TBLPROPERTIES ({settings})")


def check_type_conflicts(schema: Any, existing: dict, plan: pt.DatasetSpec) -> None:
    for f in schema.fields:
        old, new = existing.get(f.name), f.dataType.simpleString()
        if old is not None and old != new:
            raise pt.TypeConflictError(
                f'dataset {plan.name!r}: type conflict in column "{f.name}": the final table has {old}, this run '
                f"produces {new}. Cast it back with transforms.cast, or change the table's column type first "
                f"(ALTER TABLE ... ALTER COLUMN, for the promotions Iceberg allows)."
            )


def table_partition_keys(spark: Any, table: IcebergTable) -> list[str]:
    """The table's partition fields as PartitionField.key() spells them, from DESCRIBE TABLE: its
    '# Partitioning' rows (Part N | months(d)), or its '# Partition Information' rows when all are identity."""
    keys: list[str] = []
    section = None
    for row in spark.sql(f"DESCRIBE TABLE {table.name}").collect():
        name, value = (row[0] or "").strip(), (row[1] or "").strip()
        if name in ("# Partitioning", "# Partition Information"):
            section, keys = name, []
        elif name == "# col_name" or section is None:
            continue
        elif not name or name.startswith("#"):
            if keys:
                break
        else:
            keys.append((value if section == "# Partitioning" else name).replace("`", "").replace(" ", "").lower())
    return keys


def current_snapshot(spark: Any, table: IcebergTable) -> dict:
    """The table's current snapshot: id, record counts, data files (path and partition values) and columns."""
    columns = spark.table(table.name).columns
    refs = spark.sql(f"SELECT snapshot_id FROM {table.name}.refs WHERE name = 'main'").collect()
    if not refs:
        return {
            "snapshotId": None,
            "addedRecords": 0,
            "totalRecords": 0,
            "files": [],
            "partitions": {},
            "columns": columns,
        }
    snapshot_id = refs[0][0]
    summary = spark.sql(f"SELECT summary FROM {table.name}.snapshots WHERE snapshot_id = {snapshot_id}").collect()
    summary = dict(summary[0][0]) if summary else {}
    files = spark.sql(f"SELECT * FROM {table.name}.files WHERE content = 0")
    with_partition = "partition" in files.columns
    rows = files.select("file_path", "partition" if with_partition else "file_path").collect()
    partitions = {r[0]: (r[1].asDict() if with_partition and r[1] is not None else {}) for r in rows}
    return {
        "snapshotId": snapshot_id,
        "addedRecords": int(summary.get("added-records", 0)),
        "totalRecords": int(summary.get("total-records", 0)),
        "files": sorted(partitions),
        "partitions": partitions,
        "columns": columns,
    }


_ESCAPED = set("\"#%'*/:=?\\\x7f{[]^") | {chr(i) for i in range(1, 0x20)}


def partition_label(values: dict) -> str:
    """A partition as the Hive folder naming writes it (what the DuckDB engine reports): k=v/k2=v2."""

    def text(v: Any) -> str:
        if v is None or v == "":
            return "__HIVE_DEFAULT_PARTITION__"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dt.datetime):
            return pt.format_timestamp(v).rstrip("0").rstrip(".")
        if isinstance(v, dt.date):
            return v.isoformat()
        return "".join(f"%{ord(c):02X}" if c in _ESCAPED else c for c in str(v))

    return "/".join(f"{k}={text(v)}" for k, v in values.items())


def touched_partitions(before: dict, after: dict) -> list[str]:
    """The partitions the commit rewrote or added to that still hold rows (files added or removed)."""
    old, new = before["partitions"], after["partitions"]
    changed = [new[p] for p in new if p not in old] + [old[p] for p in old if p not in new]
    present = {partition_label(v) for v in new.values()}
    return sorted({partition_label(v) for v in changed if v} & present)


def merge_into(
    spark: Any,
    table: IcebergTable,
    data: Any,
    sources: Sequence[str],
    plan: pt.DatasetSpec,
    replacing: Sequence[str] | None = None,
) -> None:
    """The batch's one commit (one snapshot). Keyed: a MERGE where the batch's rows replace the rows with their
    key, and the earlier rows of the `replacing` raw objects whose key the batch no longer has are deleted.
    Keyless: a MERGE that deletes every earlier row of the `replacing` raw objects and inserts the batch's rows,
    or, when none of the batch's raw objects has rows in the table yet, an append (no scan of the table).
    `replacing` is the batch's raw objects the table may hold rows of (None: all of `sources`)."""
    from pyspark.sql import functions as F

    replacing = list(sources if replacing is None else replacing)
    target = spark.table(table.name)
    columns = [f.name for f in target.schema.fields]
    aligned = data.select(
        *[pt.col(c) if c in data.columns else F.lit(None).cast(target.schema[c].dataType).alias(c) for c in columns]
    )
    if not plan.key and not replacing:
        log.info("append: none of the batch's %d raw objects has rows in the table", len(sources))
        aligned.writeTo(table.name).append()
        return
    source, on, clauses = (_keyed_merge if plan.key else _keyless_merge)(spark, target, aligned, replacing, plan)
    view = f"merge_source_{os.getpid()}_{abs(hash(table.name))}"
    source.createOrReplaceTempView(view)
    try:
        spark.sql(f"MERGE INTO {table.name} t USING {view} s ON {on} {clauses}")
    finally:
        spark.catalog.dropTempView(view)


def _insert_clause(columns: Sequence[str]) -> str:
    names = ", ".join(quote(c) for c in columns)
    return f"INSERT ({names}) VALUES ({', '.join(f's.{quote(c)}' for c in columns)})"


def _keyed_merge(spark: Any, target: Any, aligned: Any, replacing: Sequence[str], plan: pt.DatasetSpec):
    """The MERGE's source, ON and clauses of a keyed dataset: upserts, plus deletes of the earlier rows of the
    re-sent raw objects whose key the batch no longer has (none to look for when no raw object is re-sent)."""
    from pyspark.sql import functions as F

    keys, columns = list(plan.final_key), aligned.columns
    source = aligned.withColumn(ACTION, F.lit("upsert"))
    if replacing:
        earlier = target.filter(pt.col(pt.SOURCE_FILE).isin(list(replacing))).select(*[pt.col(k) for k in keys])
        batch_keys = aligned.select(*[pt.col(k).alias(f"__key{i}") for i, k in enumerate(keys)])
        gone = earlier.join(batch_keys, _null_safe(keys), "left_anti")
        source = source.unionByName(gone.withColumn(ACTION, F.lit("delete")), allowMissingColumns=True)
    on = " AND ".join(f"t.{quote(k)} <=> s.{quote(k)}" for k in keys)
    updates = ", ".join(f"t.{quote(c)} = s.{quote(c)}" for c in columns)
    clauses = (
        f"WHEN MATCHED AND s.{ACTION} = 'delete' THEN DELETE "
        f"WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED AND s.{ACTION} = 'upsert' THEN {_insert_clause(columns)}"
    )
    return source, on, clauses


def _keyless_merge(spark: Any, target: Any, aligned: Any, replacing: Sequence[str], plan: pt.DatasetSpec):
    """The MERGE's source, ON and clauses of a keyless dataset: the batch's rows plus one marker row per re-sent
    raw object, which matches (and deletes) every earlier row of that object."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    markers = spark.createDataFrame([(s,) for s in replacing], StructType([StructField(pt.SOURCE_FILE, StringType())]))
    source = aligned.withColumn(MARKER, F.lit(False)).unionByName(
        markers.withColumn(MARKER, F.lit(True)), allowMissingColumns=True
    )
    on = f"s.{MARKER} AND t.{quote(pt.SOURCE_FILE)} = s.{quote(pt.SOURCE_FILE)}"
    clauses = f"WHEN MATCHED THEN DELETE WHEN NOT MATCHED AND NOT s.{MARKER} THEN {_insert_clause(aligned.columns)}"
    return source, on, clauses


def _null_safe(keys: Sequence[str]) -> Any:
    """Key columns equal to the __key<i> columns, nulls equal to nulls (as the transform's dedupe groups them)."""
    from functools import reduce

    from pyspark.sql import functions as F

    return reduce(lambda a, b: a & b, [pt.col(k).eqNullSafe(F.col(f"__key{i}")) for i, k in enumerate(keys)])
