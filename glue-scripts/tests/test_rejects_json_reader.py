"""The rejects files, read by Spark's JSON reader: the closest real reader here to the Hive JSON SerDe
(org.apache.hive.hcatalog.data.JsonSerDe) that the <dataset>_rejects table uses in Athena. Both take the
file line by line (Hadoop text lines) and parse one JSON object per line with Jackson. A CSV file whose
rejected records hold line breaks, backslashes and quotes goes through the real preprocessing
(`csv-pipeline preprocess`, the Lambda's core); Spark must read back exactly the rows the report counts
as rejected, each raw_record equal to the input record byte for byte."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from pyspark.sql.types import LongType, StringType, StructField, StructType

from conftest import REPO

# The <dataset>_rejects table's columns (config/layout.ts REJECT_COLUMNS); the test checks the file's keys against them.
REJECTS_SCHEMA = StructType(
    [
        StructField("source_file", StringType()),
        StructField("line", LongType()),
        StructField("reason_code", StringType()),
        StructField("column_name", StringType()),
        StructField("reason", StringType()),
        StructField("raw_record", StringType()),
    ]
)

HEADER = "id,name,email,signup_date,status"
# (record as written, rejected by the signups dataset?); the last one opens a quote that never closes.
RECORDS = [
    ("1,Plain Valid,plain@example.com,2024-11-01,active", False),
    ('2,"Multi\nline name",not-an-email,2024-11-01,active', True),
    ('3,"Valid\non two lines",three@example.com,2024-11-02,active', False),
    ('4,"CRLF\r\ninside quotes",four@example.com,2024-13-01,active', True),
    ("5,C:\\path\\to\\,five@example.com,2024-11-01,gone", True),
    ('6,"ends with a backslash \\",six@example.com,someday,active', True),
    ('7,"He said ""hi"" \\""",seven@example.com,2024-11-01,nope', True),
    ("8,literal \\n and \\r and \\\\,eight@example.com,2024-11-01,nope", True),
    ('9,"controls \u0001\u001b\t and breaks \u2028\u2029\u0085",nine@example.com,2024-11-01,nope', True),
    ('=1+1,"formula, emoji \U0001f600 and \u00e9",x@example.com,2024-11-01,active', True),
    ('11,"John" Doe,john@example.com,2024-11-01,active', True),
    ('1,"duplicate key,\n""quoted"" \\ line",dup@example.com,2024-11-01,active', True),
    ("13,Last Valid,last@example.com,2024-11-03,inactive", False),
    ('14,"never closed\\,x@example.com,2024-11-04,active', True),
]


def hostile_file(eol: str) -> tuple[bytes, list[tuple[int, bytes]]]:
    """The file's bytes, and each rejected record's first physical line and exact bytes."""
    text = eol.join([HEADER] + [r for r, _ in RECORDS]) + eol
    expected, line = [], 2
    for i, (record, rejected) in enumerate(RECORDS):
        raw = record + eol if i == len(RECORDS) - 1 else record  # the open quote runs to the end of the file
        if rejected:
            expected.append((line, raw.encode("utf-8")))
        line += record.replace("\r\n", "\n").count("\n") + 1
    return text.encode("utf-8"), expected


def preprocess(input_path, rejects_path, report_path) -> dict:
    """Runs `csv-pipeline preprocess` (TypeScript, through ts-node) against the signups dataset."""
    if shutil.which("npx") is None:
        pytest.skip("npx (Node.js) is not installed: the preprocessing core is TypeScript")
    done = subprocess.run(
        [
            "npx",
            "ts-node",
            "--transpile-only",
            "cli/csv-pipeline.ts",
            "preprocess",
            str(input_path),
            "--dataset",
            "signups",
            "--out",
            str(input_path) + ".processed.csv",
            "--rejects",
            str(rejects_path),
            "--report",
            str(report_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr  # 2: some rows rejected
    return json.loads(report_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_spark_json_reader_gets_exactly_the_rejected_rows(spark, tmp_path, eol):
    data, expected = hostile_file(eol)
    source = tmp_path / "hostile.csv"
    source.write_bytes(data)
    rejects = tmp_path / "hostile.rejects.jsonl"
    report = preprocess(source, rejects, tmp_path / "report.json")

    rows = spark.read.schema(REJECTS_SCHEMA).option("mode", "FAILFAST").json(str(rejects)).collect()
    got = [r.asDict() for r in rows]

    assert len(got) == report["rowsRejected"] == len(expected)
    assert [(r["line"], r["raw_record"].encode("utf-8")) for r in got] == expected
    assert {r["source_file"] for r in got} == {str(source)}
    counts: dict[str, int] = {}
    for r in got:
        counts[r["reason_code"]] = counts.get(r["reason_code"], 0) + 1
    assert counts == report["rejectedByReason"]
    # The same rows as the file holds, one JSON object per line, with the table's columns as keys in order.
    lines = rejects.read_bytes().decode("utf-8").split("\n")
    assert lines.pop() == ""
    in_file = [json.loads(line) for line in lines]
    assert [list(r) for r in in_file] == [[f.name for f in REJECTS_SCHEMA.fields]] * len(in_file)
    assert got == in_file
