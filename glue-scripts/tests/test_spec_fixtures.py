"""The committed specs (fixtures/specs/, made by make_specs.ts) and the Python mirrors of the TS config
constants must match pipeline.config.json and config/*.ts, or the tests test a stale contract."""

from __future__ import annotations

import json
import re

import pytest

import pipeline_transforms as pt
from conftest import REPO, final_schema, spec_fixture

CONFIG = json.loads((REPO / "pipeline.config.json").read_text(encoding="utf-8"))
REGENERATE = "regenerate with: npx ts-node --transpile-only glue-scripts/tests/fixtures/make_specs.ts"


@pytest.mark.parametrize("dataset", CONFIG["datasets"], ids=lambda d: d["name"])
def test_spec_fixture_matches_pipeline_config(dataset):
    fixture = spec_fixture(dataset["name"])["dataset"]
    for key in ("name", "key"):
        assert fixture[key] == dataset.get(key, []), f"{key} differs: {REGENERATE}"
    assert [(c["name"], c["type"]) for c in fixture["columns"]] == [
        (c["name"], c["type"]) for c in dataset["columns"]
    ], REGENERATE
    for key, value in dataset.get("transforms", {}).items():
        assert fixture["transforms"][key] == value, f"transforms.{key} differs: {REGENERATE}"


@pytest.mark.parametrize("name", [d["name"] for d in CONFIG["datasets"]])
def test_python_final_schema_matches_the_typescript_one(name):
    spec = spec_fixture(name)
    assert final_schema(spec["dataset"]) == spec["finalSchema"]


def test_type_tables_mirror_lib_config():
    layout = (REPO / "config" / "layout.ts").read_text(encoding="utf-8")
    body = re.search(r"SQL_TYPE_OF[^=]*=\s*\{(.*?)\}", layout, re.S).group(1)
    assert dict(re.findall(r"(\w+):\s*'(\w+)'", body)) == pt.SQL_TYPE_OF
    schema = (REPO / "config" / "schema.ts").read_text(encoding="utf-8")
    cast_types = re.search(r"CAST_TYPES\s*=\s*\[(.*?)\]", schema, re.S).group(1)
    assert tuple(re.findall(r"'(\w+)'", cast_types)) == pt.CAST_TYPES
    assert re.findall(r"name: '(\w+)'", layout.split("LINEAGE_COLUMNS")[1].split("];")[0]) == list(pt.LINEAGE_COLUMNS)
