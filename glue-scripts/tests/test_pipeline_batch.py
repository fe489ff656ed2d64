"""run_batch called directly, as both entry points call it: counts, final rows, deletes, catalog sync and commit."""

from __future__ import annotations

import datetime as dt

import pytest

import pipeline_batch as pb
import pipeline_transforms as pt
from conftest import read_output, signups_spec, spec_fixture, write_processed

HEADER = "id,name,email,signup_date,status\n"
FIRST_RUN = dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc)
SECOND_RUN = dt.datetime(2024, 12, 31, tzinfo=dt.timezone.utc)


class RecordingStorage(pb.LocalStorage):
    """LocalStorage that records what run_batch asks of it, with a catalog that reports what it was given."""

    def __init__(self):
        self.deleted: list[str] = []
        self.syncs: list[tuple] = []
        self.commits = 0

    def delete_folder(self, uri: str) -> int:
        self.deleted.append(uri)
        return super().delete_folder(uri)

    def sync_partitions(self, columns, written, emptied):
        self.syncs.append((list(columns), list(written), list(emptied)))
        return {"partitionsWritten": len(written), "partitionsDeleted": len(emptied)}

    def commit(self) -> None:
        self.commits += 1


def row(user_id, name, day, source, at):
    return {
        "user_id": user_id,
        "full_name": name,
        "email": f"{name.lower()}@x.io",
        "signup_date": dt.date.fromisoformat(day),
        "status": "active",
        "source_file": source,
        "ingested_at": at.replace(tzinfo=None),
        "signup_month": day[:7],
    }


def test_run_batch_merges_two_batches_and_reports_counts_deletes_catalog_and_commit(spark, tmp_path):
    spec_json = spec_fixture("signups")
    spec = pt.parse_spec(spec_json)
    inp, out = tmp_path / "in", tmp_path / "final"
    storage = RecordingStorage()
    # Batch 1: Bob appears twice in a.csv (the later line wins), and empty.csv has no header at all.
    a = write_processed(
        inp,
        "a.csv",
        HEADER + "1,Ann,ann@x.io,2024-10-01,active\n2,Bob,bob@x.io,2024-11-01,active\n"
        "3,Cy,cy@x.io,2024-11-02,active\n2,Bobby,bobby@x.io,2024-11-01,active\n",
        1e9,
    )
    empty = write_processed(inp, "empty.csv", "", 1e9)

    first = pb.run_batch(spark, [str(a), str(empty)], spec, str(out), storage, ingested_at=FIRST_RUN)

    assert first == {
        "files": 2,
        "rowsIn": 4,
        "rowsOut": 3,
        "rowsWritten": 3,
        "partitions": ["signup_month=2024-10", "signup_month=2024-11"],
        "deletedPartitions": [],
        "catalog": {"partitionsWritten": 2, "partitionsDeleted": 0},
    }
    columns = [(c["name"], c["type"]) for c in spec_json["finalSchema"]["columns"]]
    assert storage.syncs == [(columns, [("2024-10",), ("2024-11",)], [])]
    assert storage.commits == 1 and storage.deleted == []

    # Batch 2: Ann moves from October to December, which leaves October empty.
    b = write_processed(inp, "b.csv", HEADER + "1,Ann,ann@x.io,2024-12-01,active\n", 2e9)
    second = pb.run_batch(spark, [str(b)], spec, str(out), storage, ingested_at=SECOND_RUN)

    assert second == {
        "files": 1,
        "rowsIn": 1,
        "rowsOut": 1,
        "rowsWritten": 1,
        "partitions": ["signup_month=2024-12"],
        "deletedPartitions": ["signup_month=2024-10"],
        "catalog": {"partitionsWritten": 1, "partitionsDeleted": 1},
    }
    assert storage.syncs[1] == (columns, [("2024-12",)], [("2024-10",)])
    assert [uri.rsplit("/", 1)[-1] for uri in storage.deleted] == ["signup_month=2024-10"]
    assert not (out / "signup_month=2024-10").exists() and storage.commits == 2
    assert sorted(read_output(spark, out, spec_json), key=lambda r: r["user_id"]) == [
        row(1, "Ann", "2024-12-01", "b.csv", SECOND_RUN),
        row(2, "Bobby", "2024-11-01", "a.csv", FIRST_RUN),
        row(3, "Cy", "2024-11-02", "a.csv", FIRST_RUN),
    ]


def test_a_batch_with_no_file_writes_nothing_and_still_commits(spark, tmp_path):
    storage = RecordingStorage()
    summary = pb.run_batch(spark, [], pt.parse_spec(spec_fixture("signups")), str(tmp_path / "final"), storage)
    assert summary == pb.empty_summary() and summary["files"] == 0
    assert storage.commits == 1 and storage.syncs == [] and not (tmp_path / "final").exists()


def test_a_failed_batch_is_not_committed_and_leaves_the_final_table_as_it_was(spark, tmp_path):
    """A type conflict with the final data fails the merge: no write, no catalog sync, no bookmark commit."""
    inp, out = tmp_path / "in", tmp_path / "final"
    a = write_processed(inp, "a.csv", HEADER + "1,Ann,ann@x.io,2024-10-01,active\n", 1e9)
    pb.run_batch(spark, [str(a)], pt.parse_spec(spec_fixture("signups")), str(out), pb.LocalStorage())
    before = sorted(p.name for p in out.rglob("*.parquet"))
    storage = RecordingStorage()
    with pytest.raises(pt.TypeConflictError, match='column "user_id"'):
        pb.run_batch(spark, [str(a)], pt.parse_spec(signups_spec(cast={"id": "string"})), str(out), storage)
    assert storage.commits == 0 and storage.syncs == []
    assert sorted(p.name for p in out.rglob("*.parquet")) == before


def test_local_storage_has_no_catalog_so_the_summary_has_no_catalog_entry(spark, tmp_path):
    a = write_processed(tmp_path / "in", "a.csv", HEADER + "7,Gus,gus@x.io,2024-11-03,active\n", 1e9)
    summary = pb.run_batch(
        spark,
        [str(a)],
        pt.parse_spec(spec_fixture("signups")),
        str(tmp_path / "final"),
        pb.LocalStorage(),
        ingested_at=FIRST_RUN,
    )
    assert "catalog" not in summary and summary["rowsWritten"] == 1
    assert read_output(spark, tmp_path / "final", spec_fixture("signups")) == [
        row(7, "Gus", "2024-11-03", "a.csv", FIRST_RUN)
    ]
