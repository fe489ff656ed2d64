"""The Iceberg write path on local Spark: one MERGE per batch (upsert, keyless replace, re-uploads), failures, evolution."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import local_job
import pipeline_batch as pb
from conftest import make_spec, read_output, run_job, snapshot_ids, write_processed, write_report

KEYED = {
    "name": "people",
    "key": ["id"],
    "columns": [
        {"name": "id", "type": "integer"},
        {"name": "name", "type": "string"},
        {"name": "day", "type": "date"},
    ],
    "transforms": {"partitionBy": ["month(day)"]},
}
KEYLESS = {
    "name": "events",
    "columns": [{"name": "what", "type": "string"}, {"name": "n", "type": "integer"}],
    "transforms": {"partitionBy": ["what"]},
}
EVOLVING = {
    "name": "evolving",
    "key": ["id"],
    "extraColumns": "keep",
    "columns": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}],
}


class Workdir:
    """processed/<ds>/, reports/<ds>/ and the table folder final_output/<ds>/ of one test."""

    def __init__(self, root: Path, dataset: dict):
        self.spec = make_spec(dataset)
        name = dataset["name"]
        self.processed, self.reports, self.table = (
            root / "processed" / name,
            root / "reports" / name,
            root / "out" / name,
        )
        self.name = name
        self.clock = 1_700_000_000

    def upload(self, raw_name: str, version: str, text: str, rows: int | None = None) -> str:
        """One raw object version as the Lambda leaves it: processed/<ds>/<stem>-<version>.csv and its report,
        whose row count is the file's records (or `rows`)."""
        processed = f"{Path(raw_name).stem}-{version}.csv"
        self.clock += 10
        write_processed(self.processed, processed, text, self.clock)
        records = len(list(csv.reader(io.StringIO(text, newline="")))) - 1 if text else 0
        write_report(self.reports, processed, f"raw/{self.name}/{raw_name}", records if rows is None else rows)
        return processed

    def run(self, spark) -> dict:
        return run_job(spark, self.processed, self.table, self.spec, reports=self.reports)

    def rows(self, spark, *columns: str) -> list[tuple]:
        return sorted(tuple(r[c] for c in columns) for r in read_output(spark, self.table))


def test_keyed_upsert_latest_row_wins_with_one_snapshot_per_batch(spark, tmp_path):
    w = Workdir(tmp_path, KEYED)
    w.upload("a.csv", "v1", "id,name,day\n1,Ann,2024-01-05\n2,Bob,2024-01-06\n")
    first = w.run(spark)
    assert (first["rowsIn"], first["rowsOut"], first["tableRows"]) == (2, 2, 2)
    # a later batch: key 2 updated into another month, key 3 added twice (the later line of the file wins)
    w.upload("b.csv", "v1", "id,name,day\n2,Bobby,2024-02-01\n3,Cy,2024-02-02\n3,Cyd,2024-02-03\n")
    second = w.run(spark)
    assert second["tableRows"] == 3
    assert w.rows(spark, "id", "name", "source_file") == [
        (1, "Ann", "raw/people/a.csv"),
        (2, "Bobby", "raw/people/b.csv"),
        (3, "Cyd", "raw/people/b.csv"),
    ]
    assert len(snapshot_ids(spark, w.table)) == 2  # one commit per batch
    # Jan 2024 (648 months since 1970) rewritten without Bob, Feb 2024 written
    assert second["partitions"] == ["day_month=648", "day_month=649"]
    assert pb.table_partition_keys(spark, local_job.local_table(spark, str(w.table))) == ["months(day)"]
    # nothing new: no commit, same rows
    assert w.run(spark)["files"] == 0
    assert len(snapshot_ids(spark, w.table)) == 2


def test_ties_in_one_batch_break_on_modification_time_then_file_name_then_line(spark, tmp_path):
    w = Workdir(tmp_path, KEYED)
    for name in ("m.csv", "z.csv", "a.csv"):  # same modification time for all three
        processed = f"{Path(name).stem}-v1.csv"
        write_processed(w.processed, processed, f"id,name,day\n7,{name},2024-01-01\n7,{name}-2,2024-01-01\n", 1e9)
        write_report(w.reports, processed, f"raw/people/{name}")
    w.run(spark)
    assert w.rows(spark, "id", "name") == [(7, "z.csv-2")]


def test_keyless_reupload_replaces_the_objects_earlier_rows_including_rows_it_no_longer_holds(spark, tmp_path):
    w = Workdir(tmp_path, KEYLESS)
    w.upload("x.csv", "v1", "what,n\nclick,1\nclick,2\nview,3\n")
    w.upload("y.csv", "v1", "what,n\nview,10\n")
    w.run(spark)
    assert w.rows(spark, "what", "n") == [("click", 1), ("click", 2), ("view", 3), ("view", 10)]
    w.upload("x.csv", "v2", "what,n\nclick,1\n")  # re-upload of raw/events/x.csv without two of its rows
    summary = w.run(spark)
    assert w.rows(spark, "what", "n", "source_file") == [
        ("click", 1, "raw/events/x.csv"),
        ("view", 10, "raw/events/y.csv"),
    ]
    assert summary["partitions"] == ["what=click", "what=view"]
    # an emptied re-upload removes the object's rows; two versions in one batch: the newer one wins whole
    w.upload("x.csv", "v3", "what,n\n")
    w.upload("y.csv", "v2", "what,n\nview,11\nview,12\n")
    w.upload("y.csv", "v3", "what,n\nview,13\n")
    w.run(spark)
    assert w.rows(spark, "what", "n") == [("view", 13)]


def test_keyed_reupload_deletes_the_keys_it_no_longer_holds(spark, tmp_path):
    w = Workdir(tmp_path, KEYED)
    w.upload("x.csv", "v1", "id,name,day\n1,A,2024-01-01\n2,B,2024-01-01\n3,C,2024-03-01\n")
    w.upload("y.csv", "v1", "id,name,day\n4,D,2024-01-01\n")
    w.run(spark)
    w.upload("x.csv", "v2", "id,name,day\n1,A2,2024-01-01\n2,B,2024-01-01\n")
    w.run(spark)
    assert w.rows(spark, "id", "name") == [(1, "A2"), (2, "B"), (4, "D")]


def test_schema_evolution_adds_the_new_column_and_keeps_old_rows(spark, tmp_path):
    w = Workdir(tmp_path, EVOLVING)
    w.upload("a.csv", "v1", "id,name\n1,Ann\n")
    w.run(spark)
    w.upload("b.csv", "v1", "id,name,score\n2,Bob,7\n")
    w.run(spark)
    rows = read_output(spark, w.table)
    assert [(r["id"], r["name"], r["score"]) for r in rows] == [(1, "Ann", None), (2, "Bob", "7")]
    columns = [f.name for f in spark.table(local_job.local_table(spark, str(w.table)).name).schema.fields]
    assert columns == ["id", "name", "score", "source_file", "ingested_at"]  # added at its place, before lineage


def test_a_table_made_elsewhere_without_partitioning_gets_the_partition_field(spark, tmp_path):
    w = Workdir(tmp_path, KEYED)
    table = local_job.local_table(spark, str(w.table))
    w.table.parent.mkdir(parents=True)
    spark.sql(
        f"CREATE TABLE {table.name} (id bigint, name string, day date, source_file string, ingested_at timestamp) "
        f"USING iceberg"
    )
    w.upload("a.csv", "v1", "id,name,day\n1,Ann,2024-01-05\n")
    w.run(spark)
    assert pb.table_partition_keys(spark, table) == ["months(day)"]
    properties = {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {table.name}").collect()}
    assert all(properties[k] == "copy-on-write" for k in pb.COPY_ON_WRITE)
    assert w.rows(spark, "id", "name") == [(1, "Ann")]


def _state(spark, w: Workdir) -> tuple:
    ledger = json.loads((w.table / local_job.LEDGER_FILE).read_text())
    listed = json.loads((w.table / pb.SNAPSHOT_FILES).read_text())
    return snapshot_ids(spark, w.table), read_output(spark, w.table), ledger, listed


def _raise_in_the_write(spark):
    """merge_into with a source whose rows fail while the MERGE's write tasks compute them (a task failure)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    real = pb.merge_into

    def failing(spark_, table, data, *rest):
        boom = F.udf(lambda v: (_ for _ in ()).throw(RuntimeError("injected failure in a write task")), StringType())
        return real(spark_, table, data.withColumn("name", boom(data["name"])), *rest)

    return failing


def _failing_once_files_are_recorded(real):
    """write_ledger that fails when it would record a merged file (after the commit), not before the commit."""

    def write_ledger(self, ledger):
        if any(e.get("snapshot") for e in ledger["files"].values() if e.get("source") == "raw/people/b.csv"):
            raise RuntimeError("injected after the commit")
        return real(self, ledger)

    return write_ledger


@pytest.mark.parametrize("where", ["after the transform", "inside the write", "after the commit"])
def test_a_failure_midway_leaves_the_table_as_it_was_and_the_next_run_completes(spark, tmp_path, monkeypatch, where):
    w = Workdir(tmp_path, KEYED)
    w.upload("a.csv", "v1", "id,name,day\n1,Ann,2024-01-05\n2,Bob,2024-02-06\n")
    w.run(spark)
    before = _state(spark, w)
    w.upload("b.csv", "v1", "id,name,day\n2,Bobby,2024-02-07\n3,Cy,2024-03-01\n")
    with monkeypatch.context() as m:
        if where == "after the transform":
            m.setattr(pb, "ensure_table", lambda *a: (_ for _ in ()).throw(RuntimeError("injected after transform")))
        elif where == "inside the write":
            m.setattr(pb, "merge_into", _raise_in_the_write(spark))
        else:
            m.setattr(pb.LocalStorage, "write_ledger", _failing_once_files_are_recorded(pb.LocalStorage.write_ledger))
        with pytest.raises(Exception, match="injected"):
            w.run(spark)
    after = _state(spark, w)
    if where == "after the commit":  # committed but not recorded: the next run merges the same file again
        assert len(after[0]) == 2 and after[2]["files"] == before[2]["files"]
    else:  # same snapshots, rows, processed files in the ledger and published file list
        assert (after[0], after[1], after[2]["files"], after[3]) == (
            before[0],
            before[1],
            before[2]["files"],
            before[3],
        )
    # whatever the point, the ledger never lacks a raw object the table holds rows of (its list was written first)
    assert set(after[2]["sources"]) >= {r["source_file"] for r in read_output(spark, w.table)}
    summary = w.run(spark)
    assert summary["files"] == 1
    assert w.rows(spark, "id", "name") == [(1, "Ann"), (2, "Bobby"), (3, "Cy")]
    assert w.run(spark)["files"] == 0


def test_an_older_version_whose_report_comes_late_does_not_replace_the_newer_rows(spark, tmp_path):
    w = Workdir(tmp_path, KEYLESS)
    write_processed(w.processed, "x-v1.csv", "what,n\nclick,1\nclick,2\n", w.clock + 1)  # its report is late
    w.clock += 10
    w.upload("x.csv", "v2", "what,n\nview,3\n")
    assert w.run(spark)["files"] == 1
    write_report(w.reports, "x-v1.csv", "raw/events/x.csv")
    assert w.run(spark)["files"] == 0  # superseded by v2, merged already: recorded, not merged
    assert w.rows(spark, "what", "n", "source_file") == [("view", 3, "raw/events/x.csv")]
    ledger = json.loads((w.table / "ledger.json").read_text())
    assert ledger["files"]["x-v1.csv"]["source"] == "raw/events/x.csv"
    assert w.run(spark)["files"] == 0


def test_a_processed_file_without_its_report_waits_for_a_later_run(spark, tmp_path):
    w = Workdir(tmp_path, KEYLESS)
    write_processed(w.processed, "late-v1.csv", "what,n\nclick,1\n", 1_700_000_000)
    assert w.run(spark)["files"] == 0
    write_report(w.reports, "late-v1.csv", "raw/events/late.csv")
    assert w.run(spark)["files"] == 1
    assert w.rows(spark, "what", "source_file") == [("click", "raw/events/late.csv")]


def test_the_published_file_list_is_the_current_snapshots_data_files(spark, tmp_path):
    w = Workdir(tmp_path, KEYLESS)
    w.upload("x.csv", "v1", "what,n\nclick,1\n")
    w.run(spark)
    w.upload("x.csv", "v2", "what,n\nview,2\n")
    w.run(spark)
    listed = json.loads((w.table / pb.SNAPSHOT_FILES).read_text())
    table = local_job.local_table(spark, str(w.table))
    current = [
        Path(r[0]).relative_to(w.table.resolve()).as_posix()
        for r in spark.sql(f"SELECT file_path FROM {table.name}.files").collect()
    ]
    assert listed["files"] == sorted(current) and listed["snapshotId"] == snapshot_ids(spark, w.table)[-1]
    assert all(f.startswith("data/what=view/") for f in listed["files"])


def _operations(spark, w: Workdir) -> list[str]:
    table = local_job.local_table(spark, str(w.table))
    return [r[0] for r in spark.sql(f"SELECT operation FROM {table.name}.snapshots ORDER BY committed_at").collect()]


def test_keyless_raw_objects_new_to_the_table_are_appended_and_a_reupload_is_merged(spark, tmp_path):
    w = Workdir(tmp_path, KEYLESS)
    w.upload("x.csv", "v1", "what,n\nclick,1\nclick,2\n")
    w.run(spark)
    w.upload("y.csv", "v1", "what,n\nview,3\n")
    w.run(spark)
    assert _operations(spark, w) == ["append", "append"]  # no MERGE, no scan of the table
    w.upload("x.csv", "v2", "what,n\nview,4\n")
    w.run(spark)
    assert _operations(spark, w)[-1] == "overwrite"  # x is re-sent: its earlier rows are replaced
    assert w.rows(spark, "what", "n", "source_file") == [
        ("view", 3, "raw/events/y.csv"),
        ("view", 4, "raw/events/x.csv"),
    ]
    ledger = json.loads((w.table / local_job.LEDGER_FILE).read_text())
    assert ledger["sources"]["raw/events/x.csv"]["file"] == "x-v2.csv"


@pytest.mark.parametrize("ledger", ["lost", "of version 1"])
def test_a_ledger_lost_or_without_its_raw_objects_is_rebuilt_from_the_table_and_nothing_is_doubled(
    spark, tmp_path, ledger
):
    w = Workdir(tmp_path, KEYLESS)
    w.upload("x.csv", "v1", "what,n\nclick,1\nclick,2\n")
    w.run(spark)
    path = w.table / local_job.LEDGER_FILE
    if ledger == "lost":
        path.unlink()  # every processed file is read again
    else:  # a ledger written before it listed raw objects, whose processed file of x has gone since
        path.write_text(json.dumps({"version": 1, "files": {}}))
    assert w.run(spark)["files"] == 1
    assert _operations(spark, w)[-1] == "overwrite"  # x has rows in the table: merged, not appended
    assert w.rows(spark, "what", "n") == [("click", 1), ("click", 2)]
    assert set(json.loads(path.read_text())["sources"]) == {"raw/events/x.csv"}


@pytest.mark.parametrize("report_rows", ["right", "wrong"])
def test_a_value_with_a_line_break_is_read_whole_and_the_report_count_only_picks_the_way(spark, tmp_path, report_rows):
    w = Workdir(tmp_path, KEYED)
    text = 'id,name,day\n1,"Ann\nSmith",2024-01-05\n2,"Bob\r\nJones\rJr",2024-02-06\n3,Cy,2024-03-01\n'
    w.upload("a.csv", "v1", text, None if report_rows == "right" else 7)  # a wrong count: read whole as well
    assert w.run(spark)["rowsIn"] == 3
    assert w.rows(spark, "id", "name") == [(1, "Ann\nSmith"), (2, "Bob\r\nJones\rJr"), (3, "Cy")]


def test_a_file_read_in_parallel_pieces_keeps_its_line_order_for_ties(spark, tmp_path):
    w = Workdir(tmp_path, KEYED)
    lines = [f"{i},n{i},2024-01-05" for i in range(2, 3000)]
    text = "id,name,day\n1,first,2024-01-05\n" + "\n".join(lines) + "\n1,last,2024-01-06\n"
    w.upload("a.csv", "v1", text)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")  # ~12 pieces of the 45 KB file
    try:
        files = pb.describe_local_files(sorted(w.processed.iterdir()), w.reports)
        assert files[0].rows == 3000 and pb.pt.read_processed_csv(spark, files).rdd.getNumPartitions() > 5
        w.run(spark)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    rows = w.rows(spark, "id", "name")
    assert len(rows) == 2999 and rows[0] == (1, "last")  # the file's later line wins, as the DuckDB engine keeps it


def test_a_restored_older_ledger_is_checked_against_the_table_before_an_append(spark, tmp_path):
    w = Workdir(tmp_path, KEYLESS)
    w.upload("x.csv", "v1", "what,n\nclick,1\n")
    w.run(spark)
    path = w.table / local_job.LEDGER_FILE
    older = path.read_text()  # does not list y, which the table gains next
    w.upload("y.csv", "v1", "what,n\nview,2\nview,3\n")
    w.run(spark)
    path.write_text(older)  # restored from a backup, say
    w.upload("y.csv", "v2", "what,n\nview,4\n")
    w.run(spark)
    assert _operations(spark, w)[-1] == "overwrite"  # the table has rows of y since that ledger: merged
    assert w.rows(spark, "what", "n", "source_file") == [
        ("click", 1, "raw/events/x.csv"),
        ("view", 4, "raw/events/y.csv"),
    ]
    w.upload("z.csv", "v1", "what,n\nclick,5\n")
    w.run(spark)
    assert _operations(spark, w)[-1] == "append"  # the ledger describes the table again: a new object is appended


def test_a_one_column_row_of_an_empty_value_is_a_row_with_null(spark, tmp_path):
    w = Workdir(tmp_path, {"name": "notes", "columns": [{"name": "note", "type": "string", "required": False}]})
    w.upload("n.csv", "v1", 'note\nhello\n""\nbye\n')  # as the preprocessing writes it (lambda/core/row-writer.ts)
    assert w.run(spark)["rowsIn"] == 3
    notes = [r["note"] for r in read_output(spark, w.table)]
    assert notes.count(None) == 1 and sorted(n for n in notes if n is not None) == ["bye", "hello"]


def test_after_compaction_the_ledger_still_describes_the_table_and_a_new_object_is_appended(spark, tmp_path, caplog):
    w = Workdir(tmp_path, KEYLESS)
    for name in ("x.csv", "y.csv"):
        w.upload(name, "v1", "what,n\nclick,1\n")
        w.run(spark)
    table = local_job.local_table(spark, str(w.table))
    catalog, name = (part.strip("`") for part in table.name.split("."))
    spark.sql(f"CALL `{catalog}`.system.rewrite_data_files(table => '{name}', options => map('min-input-files', '2'))")
    assert _operations(spark, w)[-1] == "replace"  # compaction: the same rows in fewer files
    w.upload("z.csv", "v1", "what,n\nclick,2\n")
    with caplog.at_level("INFO", logger="pipeline_batch"):
        w.run(spark)
    assert "reading them from the table" not in caplog.text  # trusted as it is: no scan of the table
    assert _operations(spark, w)[-1] == "append"
    assert len(w.rows(spark, "what")) == 3
