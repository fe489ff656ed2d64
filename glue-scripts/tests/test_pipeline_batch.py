"""pipeline_batch's pure parts: the ledger, which files a batch reads, partition fields and names, the table DDL."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import pipeline_batch as pb
import pipeline_transforms as pt


def processed(name: str, second: int, source: str | None = None) -> pt.ProcessedFile:
    return pt.ProcessedFile(f"s3://b/processed/ds/{name}", name, dt.datetime(2024, 1, 1, 0, 0, second), None, source)


def test_new_files_are_the_listed_ones_the_ledger_does_not_hold_by_name_and_modification_time():
    listed = [processed("a.csv", 1), processed("b.csv", 2)]
    assert [f.name for f in pb.new_files(listed, {})] == ["a.csv", "b.csv"]
    ledger = pb.next_ledger(listed, {}, [processed("a.csv", 1)], 5)
    assert [f.name for f in pb.new_files(listed, ledger)] == ["b.csv"]
    rewritten = [processed("a.csv", 9), processed("b.csv", 2)]  # a.csv written again under its name
    assert [f.name for f in pb.new_files(rewritten, ledger)] == ["a.csv", "b.csv"]


def test_the_next_ledger_adds_the_merged_files_and_drops_files_no_longer_listed():
    listed = [processed("b.csv", 2), processed("c.csv", 3)]
    old = {"files": {"a.csv": {"mtime": "x", "snapshot": 1}, "b.csv": {"mtime": "y", "snapshot": 1}}}
    ledger = pb.next_ledger(listed, old, [processed("c.csv", 3)], 7)
    assert ledger == {
        "version": pb.LEDGER_VERSION,
        "files": {
            "b.csv": {"mtime": "y", "snapshot": 1},
            "c.csv": {"mtime": "2024-01-01T00:00:03", "source": "c.csv", "snapshot": 7},
        },
    }


def test_the_ledger_keeps_each_raw_objects_newest_version_after_its_processed_files_are_gone():
    v1, v2 = processed("x-v1.csv", 1, "raw/ds/x.csv"), processed("x-v2.csv", 5, "raw/ds/x.csv")
    sources = pb.with_sources({}, [v2])
    assert pb.with_sources(sources, [v1]) == sources  # an older version never replaces the newer one
    ledger = pb.next_ledger([v2], {}, [v2], 7, sources)
    ledger = pb.next_ledger([], ledger, [], 8)  # x-v2.csv deleted from processed/: the raw object stays known
    assert ledger["files"] == {} and ledger["sources"] == {"raw/ds/x.csv": {"mtime": pb._stamp(v2), "file": "x-v2.csv"}}
    assert pb.superseded([v1], ledger) == [v1]  # so a late v1 is still recognised as older
    unknown = {"sources": {"raw/ds/x.csv": {"mtime": None, "file": None}}}  # read from the table: version unknown
    assert pb.superseded([v1], unknown) == []


def test_of_two_versions_of_one_raw_object_in_a_batch_only_the_newest_is_read():
    files = [
        processed("x-v1.csv", 1, "raw/ds/x.csv"),
        processed("x-v2.csv", 5, "raw/ds/x.csv"),
        processed("x-v0.csv", 5, "raw/ds/x.csv"),  # same time as v2: the name decides
        processed("y-v1.csv", 1, "raw/ds/y.csv"),
        processed("z.csv", 9),  # no report: its own name is its source
    ]
    assert [f.name for f in pb.newest_per_source(files)] == ["x-v2.csv", "y-v1.csv", "z.csv"]


def test_the_report_of_a_processed_file_gives_its_raw_key_and_row_count(tmp_path):
    assert pb.report_name("orders__2024-abc123def456.csv") == "orders__2024-abc123def456.json"
    (tmp_path / "a-1.json").write_text(
        json.dumps({"source": "raw/orders/a.csv", "outcome": "processed", "rowsValid": 7})
    )
    assert pb.read_report(tmp_path / "a-1.json") == ("raw/orders/a.csv", 7)
    assert pb.read_report(tmp_path / "missing.json") is None
    assert pb.report_facts('{"source": "raw/a.csv"}', "r.json") == ("raw/a.csv", None)  # no count: read whole
    assert pb.report_facts('{"source": "raw/a.csv", "rowsValid": "7"}', "r.json").rows is None
    with pytest.raises(ValueError, match='has no "source"'):
        pb.report_facts("{}", "reports/ds/a.json")


@pytest.mark.parametrize(
    "entry,sql,key",
    [
        ("region", "`region`", "region"),
        ("month(signup_date)", "months(`signup_date`)", "months(signup_date)"),
        ("year( d )", "years(`d`)", "years(d)"),
        ("bucket(16, user_id)", "bucket(16, `user_id`)", "bucket(16,user_id)"),
        ("truncate(4,name)", "truncate(4, `name`)", "truncate(4,name)"),
    ],
)
def test_partition_by_entries_are_identity_columns_or_iceberg_transforms(entry, sql, key):
    field = pt.partition_field(entry)
    assert (field.sql(), field.key()) == (sql, key)


def test_partition_names_follow_the_hive_folder_naming_the_duckdb_engine_reports():
    assert (
        pb.partition_label({"region": "eu/west: 1", "d": dt.date(2024, 1, 2)}) == "region=eu%2Fwest%3A 1/d=2024-01-02"
    )
    assert pb.partition_label({"region": None}) == "region=__HIVE_DEFAULT_PARTITION__"
    before = {"partitions": {"f1": {"m": 1}, "f2": {"m": 2}}}
    after = {"partitions": {"f1": {"m": 1}, "f3": {"m": 3}}}  # f2's partition emptied, m=3 added
    assert pb.touched_partitions(before, after) == ["m=3"]


def test_the_table_is_created_as_an_iceberg_v2_copy_on_write_table_at_its_location():
    from pyspark.sql.types import DateType, LongType, StructField, StructType

    schema = StructType([StructField("id", LongType()), StructField("day", DateType())])
    spec = pt.DatasetSpec(
        name="ds", columns=(), key=(), rename={}, cast={}, derive=(), filter=None, select=None,
        partition_by=("month(day)",), final_columns=(),
    )  # fmt: skip
    table = pb.IcebergTable(pb.quote("glue_catalog", "db", "ds"), "s3://final/final_output/ds/")
    assert pb.create_table_sql(table, schema, spec) == (
        "CREATE TABLE IF NOT EXISTS `glue_catalog`.`db`.`ds` (`id` bigint, `day` date) USING iceberg "
        "PARTITIONED BY (months(`day`)) LOCATION 's3://final/final_output/ds/' TBLPROPERTIES ('format-version' = '2', "
        "'write.delete.mode' = 'copy-on-write', 'write.update.mode' = 'copy-on-write', "
        "'write.merge.mode' = 'copy-on-write')"
    )


def test_a_file_read_line_by_line_is_read_again_whole_when_its_rows_differ_from_its_report():
    def f(name, rows, header=("a", "b")):
        return pt.ProcessedFile(f"/p/{name}", name, dt.datetime(2024, 1, 1), header, "raw/x.csv", rows)

    files = [f("ok.csv", 2), f("broken.csv", 2), f("unknown.csv", None), f("empty.csv", 0, None), f("gone.csv", 1)]
    files.append(f("one-column.csv", 2, ("b",)))  # read whole: an empty value is an empty line there
    counts = {"ok.csv": 2, "broken.csv": 3, "unknown.csv": 5, "one-column.csv": 1}
    assert [pt.read_by_lines(x) for x in files] == [True, True, False, False, True, False]
    assert [x.name for x in pt.miscounted(counts, files)] == ["broken.csv", "gone.csv"]
    assert [x.name for x in pt.miscounted(counts, files, whole={"broken.csv", "gone.csv"})] == []
