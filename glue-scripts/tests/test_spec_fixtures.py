"""The committed specs (fixtures/specs/, built by make_specs.ts from pipeline.config.json) describe the configured
datasets, and the module's shared constants are the ones the plans carry (both come from config/, generated)."""

from __future__ import annotations

import json

import pytest

import pipeline_transforms as pt
from conftest import BUILT_SPECS, REPO, spec_fixture

CONFIG = json.loads((REPO / "pipeline.config.json").read_text(encoding="utf-8"))
REGENERATE = "regenerate with: npm run gen:specs"


@pytest.mark.parametrize("dataset", CONFIG["datasets"], ids=lambda d: d["name"])
def test_spec_fixture_matches_pipeline_config(dataset):
    plan = spec_fixture(dataset["name"])
    assert plan["kind"] == pt.PLAN_KIND and plan["version"] == pt.PLAN_VERSION, REGENERATE
    assert plan["dataset"] == dataset["name"]
    assert plan["key"] == dataset.get("key", []), REGENERATE
    assert [(c["name"], c["configType"]) for c in plan["columns"]] == [
        (c["name"], c["type"]) for c in dataset["columns"]
    ], REGENERATE
    t = dataset.get("transforms", {})
    for key in ("rename", "cast", "partitionBy", "select"):
        if key in t:
            assert plan[key] == t[key], f"transforms.{key} differs: {REGENERATE}"
    assert [(d["name"], d["text"]) for d in plan["derive"]] == [(d["name"], d["expr"]) for d in t.get("derive", [])]
    assert (plan.get("filter") or {}).get("text") == t.get("filter"), REGENERATE


def test_module_constants_are_the_ones_the_plans_carry():
    # pipeline_transforms reads them from its generated block (npm run gen:constants), never from TypeScript sources.
    for name in ("signups", "orders"):
        names = spec_fixture(name)["names"]
        assert (pt.SOURCE_FILE, pt.INGESTED_AT) == (names["lineage"]["sourceFile"], names["lineage"]["ingestedAt"])
        assert (pt.FILE_COLUMN, pt.MTIME_COLUMN, pt.LINE_COLUMN) == (
            names["internal"]["path"],
            names["internal"]["mtime"],
            names["internal"]["row"],
        )
    assert pt.LINEAGE_COLUMNS == (pt.SOURCE_FILE, pt.INGESTED_AT)
    assert all(c.startswith("__") for c in (pt.FILE_COLUMN, pt.MTIME_COLUMN, pt.LINE_COLUMN))


def test_every_built_spec_parses():
    built = sorted(BUILT_SPECS.glob("*.json")) if BUILT_SPECS.exists() else []
    for path in built:
        spec = pt.parse_spec(json.loads(path.read_text(encoding="utf-8"))["spec"])
        assert spec.name
