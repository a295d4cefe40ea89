"""JSON rendering: the committed schema is the generated one, and every fixture's output validates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.plan.definition import FORMAT_VERSION, Drift, FieldChange, Plan, ResourceChange, Summary
from reconciler.render.json import plan_document, plan_json_schema, render_json, render_schema
from tests.unit.render.plans import FIXTURES

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schemas" / "plan.schema.json"


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_committed_schema_is_the_generated_one() -> None:
    """Regenerate with: .venv/bin/python -c 'from reconciler.render.json import render_schema as r;
    open("schemas/plan.schema.json", "w").write(r())'"""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema()


def test_schema_is_valid_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(plan_json_schema())


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_output_validates_against_the_schema(fixture: str) -> None:
    validator().validate(json.loads(render_json(FIXTURES[fixture]())))


def test_schema_rejects_what_the_renderer_never_writes() -> None:
    """The schema has teeth: unknown actions, missing fields and extra keys fail validation."""
    good = json.loads(render_json(FIXTURES["mixed"]()))
    bad_action: dict[str, Any] = json.loads(json.dumps(good))
    bad_action["changes"][0]["action"] = "explode"
    missing: dict[str, Any] = json.loads(json.dumps(good))
    del missing["changes"][0]["reason"]
    extra: dict[str, Any] = json.loads(json.dumps(good))
    extra["surprise"] = 1
    wrong_version: dict[str, Any] = json.loads(json.dumps(good))
    wrong_version["format_version"] = "0.1"
    bad_verdict: dict[str, Any] = json.loads(json.dumps(good))
    bad_verdict["changes"][5]["attributes"]["verdict"]["tools"]["create_meeting"]["backward"] = "maybe"
    for doc in (bad_action, missing, extra, wrong_version, bad_verdict):
        assert not validator().is_valid(doc)


def test_schema_covers_every_plan_field() -> None:
    """A field added to the Plan definition must be rendered and documented, not silently dropped."""
    defs = plan_json_schema()["$defs"]
    # The typed payload is rendered under the name the document has always given it.
    fields = {"attributes" if f == "payload" else f for f in ResourceChange.model_fields}
    assert fields <= set(defs["resource_change"]["properties"])
    assert set(FieldChange.model_fields) <= set(defs["field_change"]["properties"])
    assert set(Drift.model_fields) <= set(defs["drift"]["properties"])
    assert set(Plan.model_fields) - {"changes", "drift"} <= set(plan_json_schema()["properties"])
    assert set(Summary.model_fields) <= set(plan_json_schema()["properties"]["summary"]["properties"])


def test_format_version_and_summary() -> None:
    doc = plan_document(FIXTURES["mixed"]())
    assert doc["format_version"] == FORMAT_VERSION
    assert doc["summary"] == {
        "create": 1, "update": 2, "replace": 2, "delete": 2, "adopt": 1, "noop": 1, "drift": 2,
        "changed": 8,
    }  # fmt: skip
    assert doc["has_changes"] is True
    assert [d["address"] for d in doc["drift"]] == ["Assistant/CorporateAssist", "VectorStore/Policies"]


def test_key_order_is_stable_and_spec_keys_sorted() -> None:
    doc = plan_document(FIXTURES["update_assistant"]())
    assert list(doc) == [
        "format_version", "plan_id", "workspace", "owner", "created_at", "has_changes",
        "summary", "changes", "drift", "warnings", "costs",
    ]  # fmt: skip
    spec = doc["changes"][0]["spec"]
    assert list(spec) == sorted(spec)
    # Same plan, keys inserted in another order: same bytes.
    plan = FIXTURES["update_assistant"]()
    first = plan.changes[0]
    shuffled = first.model_copy(update={"spec": dict(reversed(list((first.spec or {}).items())))})
    assert render_json(plan.model_copy(update={"changes": (shuffled,)})) == render_json(plan)


def test_an_adopt_only_plan_has_changes() -> None:
    """Adoptions are written to the state at apply: a plan of adoptions alone is not "no changes"."""
    doc = plan_document(FIXTURES["adopt_only"]())
    assert doc["has_changes"] is True
    assert doc["summary"]["adopt"] == 2 and doc["summary"]["noop"] == 1 and doc["summary"]["changed"] == 2
    validator().validate(doc)


def test_empty_plan() -> None:
    doc = json.loads(render_json(FIXTURES["empty"]()))
    assert doc["changes"] == [] and doc["drift"] == [] and doc["has_changes"] is False
    assert doc["summary"]["changed"] == 0


def test_field_values_and_verdict_survive() -> None:
    doc = plan_document(FIXTURES["update_assistant"]())
    change = doc["changes"][0]
    assert change["changes"][2] == {
        "path": "tools[create_meeting].parameters.required",
        "kind": "changed",
        "before": ["title", "start", "attendees"],
        "after": ["title", "start", "attendees", "location"],
    }
    assert change["attributes"]["verdict"]["satisfied"] is False
    assert change["symbol"] == "~"


def test_a_real_planner_plan_validates_and_renders() -> None:
    """The fixtures follow the contract; this checks the planner's actual output does too."""
    from reconciler.model.desired import (
        Assistant,
        BuiltinTool,
        DesiredState,
        FunctionTool,
        SourceFile,
        SpendAlert,
        VectorStore,
    )
    from reconciler.model.live import LiveState
    from reconciler.model.stored import StoredState
    from reconciler.render.markdown import render_markdown
    from reconciler.render.text import render_text
    from tests.unit.plan.support import plan_for

    desired = DesiredState(
        assistants={
            "CorporateAssist": Assistant(
                name="CorporateAssist",
                model="gpt-4o",
                instructions="Line one\nline two",
                functions=(FunctionTool(name="create_meeting", parameters={"type": "object"}),),
                builtins=(BuiltinTool.FILE_SEARCH,),
                file_search_vector_stores=("Policies",),
            )
        },
        vector_stores={
            "Policies": VectorStore(
                name="Policies", files=(SourceFile(path="docs/rules.md", sha256="a" * 64, size=10),)
            )
        },
        spend_alerts={"monthly": SpendAlert(name="monthly", scope="proj_1", threshold_cents=5000)},
    )
    plan = plan_for(desired, LiveState(), StoredState(workspace="default"), created_at=1.0)
    validator().validate(json.loads(render_json(plan)))
    text = render_text(plan)
    assert "  + Assistant/CorporateAssist" in text and "+ model" in text
    assert text.endswith(f"Plan: {plan.summary.create} to add, 0 to change, 0 to replace, 0 to destroy.\n")
    assert render_markdown(plan).count("<details>") == len(plan.actionable())
