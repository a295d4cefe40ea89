"""Loading a saved plan file: an unedited file loads as the plan it was, and a file edited afterwards (any
field the executor acts on, with `plan_id` kept) or one that is not a plan is refused in one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.errors import PlanFileError, UserError
from reconciler.model.desired import DesiredState, SourceFile, SpendAlert, VectorStore
from reconciler.model.live import LiveState
from reconciler.model.stored import StoredState
from reconciler.plan.definition import Plan
from tests.unit.plan.support import WS, assistant, plan_for

Edit = Callable[[dict[str, Any]], None]


def _plan() -> Plan:
    source = SourceFile(path="docs/rules.md", sha256="a" * 64, size=3)
    desired = DesiredState(
        assistants={"Helper": assistant(file_search_vector_stores=("Policies",))},
        vector_stores={"Policies": VectorStore(name="Policies", files=(source,))},
        spend_alerts={
            "monthly": SpendAlert(
                name="monthly", scope="proj_1", threshold_cents=10_000, emails=("a@example.com",)
            )
        },
    )
    return plan_for(desired, LiveState(), StoredState(workspace=WS), created_at=1_700_000_000.5)


def _change(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(c for c in document["changes"] if c["address"] == address)


def _set(document: dict[str, Any], address: str, key: str, value: Any) -> None:
    _change(document, address)[key] = value


EDITS: dict[str, Edit] = {
    "instructions": lambda d: _change(d, "Assistant/Helper")["spec"].update(instructions="Obey me."),
    "file hash": lambda d: _change(d, "File/docs/rules.md")["spec"].update(sha256="b" * 64),
    "alert threshold": lambda d: _change(d, "SpendAlert/monthly")["spec"].update(threshold_cents=1),
    "action": lambda d: _set(d, "VectorStore/Policies", "action", "delete"),
    "platform id": lambda d: _set(d, "VectorStore/Policies", "platform_id", "vs_someone_elses"),
    "live hash": lambda d: _set(d, "VectorStore/Policies", "live_hash", "0" * 16),
    "protect": lambda d: _set(d, "Assistant/Helper", "protect", True),
    "payload": lambda d: _change(d, "Assistant/Helper")["payload"].update(verdict={"accepted": "x"}),
    "a change dropped": lambda d: d.update(changes=d["changes"][1:]),
    "workspace": lambda d: d.update(workspace="prod"),
    "format version": lambda d: d.update(format_version="9.9"),
}


def test_an_unedited_saved_plan_loads_as_the_plan_it_was() -> None:
    plan = _plan()
    loaded = Plan.load(plan.to_json(), source="plan.json")
    assert loaded == plan and loaded.plan_id == plan.plan_id
    assert Plan.load(plan.to_json().encode(), source="plan.json") == plan
    # Reformatting the file (indentation, whitespace) changes nothing the hash covers.
    assert Plan.load(json.dumps(json.loads(plan.to_json())), source="plan.json") == plan


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_saved_plan_edited_with_its_id_kept_is_refused(edit: str) -> None:
    plan = _plan()
    document = json.loads(plan.to_json())
    EDITS[edit](document)
    assert document["plan_id"] == plan.plan_id
    with pytest.raises(PlanFileError) as caught:
        Plan.load(json.dumps(document, indent=2), source="ci/plan.json")
    assert isinstance(caught.value, UserError)
    message = caught.value.one_line()
    assert message.startswith("ci/plan.json: ") and plan.plan_id in message
    assert "edited after it was saved" in message
    # The same refusal for a plan built in memory (a library caller of service.apply).
    with pytest.raises(PlanFileError):
        Plan.model_validate(document).verify_id()


def test_creation_time_is_not_covered_since_nothing_acts_on_it() -> None:
    plan = _plan()
    document = json.loads(plan.to_json())
    document["created_at"] = 1.0
    assert Plan.load(json.dumps(document), source="plan.json").plan_id == plan.plan_id


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"\xff\xfe{", "Invalid JSON"),
        ("{", "Invalid JSON"),
        ("[]", "Input should be an object"),
        ('{"workspace": "x", "plan_id": "", "run": "rm -rf /"}', "run: Extra inputs"),
    ],
)
def test_a_file_that_is_not_a_plan_is_one_clear_line(text: str | bytes, says: str) -> None:
    with pytest.raises(PlanFileError, match=r"plan\.json: not a saved plan") as caught:
        Plan.load(text, source="plan.json")
    assert says in str(caught.value) and "\n" not in caught.value.one_line()


def test_a_plan_without_an_id_is_refused() -> None:
    document = json.loads(_plan().to_json())
    document["plan_id"] = ""
    with pytest.raises(PlanFileError, match=r"plan_id \(none\)"):
        Plan.load(json.dumps(document), source="plan.json")


def test_the_id_is_the_hash_of_pydantics_json_of_the_content_as_saved_plans_were_made() -> None:
    import hashlib

    helper = assistant(instructions="Réponds en français, brièvement ✓", description="Zürich")
    desired = DesiredState(assistants={"Helper": helper})
    plan = plan_for(desired, LiveState(), StoredState(workspace=WS), created_at=1_700_000_000.5)
    assert plan.costs is None  # no cost settings: the plan hashes as before `costs` existed
    text = plan.model_dump_json(exclude={"plan_id", "created_at", "costs"})
    assert "✓" in text  # not escaped: the hash covers the UTF-8 bytes
    assert plan.plan_id == hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def test_a_plan_saved_before_the_cost_section_existed_still_loads() -> None:
    plan = plan_for(DesiredState(assistants={"Helper": assistant()}), LiveState(), StoredState(workspace=WS))
    document = json.loads(plan.to_json())
    del document["costs"]  # as a reconciler before issue 19 saved it
    assert Plan.load(json.dumps(document), source="old.json").plan_id == plan.plan_id


def _older(document: dict[str, Any]) -> dict[str, Any]:
    """The document as reconciler 1.x saved it: format 1.2, untyped `attributes` per change."""
    changes = [
        {("attributes" if k == "payload" else k): v for k, v in c.items()} for c in document["changes"]
    ]
    return {**document, "format_version": "1.2", "changes": changes}


@pytest.mark.parametrize("changes", [True, False], ids=["with changes", "empty"])
def test_a_plan_saved_by_an_older_format_is_refused_in_one_line(changes: bool) -> None:
    plan = _plan() if changes else plan_for(DesiredState(), LiveState(), StoredState(workspace=WS))
    document = _older(json.loads(plan.to_json()))
    if not changes:  # an empty plan parses as a plan of any format: its id was made over format 1.2
        document["plan_id"] = plan.model_copy(update={"format_version": "1.2"}).content_id()
    with pytest.raises(PlanFileError) as caught:
        Plan.load(json.dumps(document, indent=2), source="ci/plan.json")
    assert caught.value.one_line() == (
        "ci/plan.json: a saved plan of format 1.2, which this reconciler (format 2.0) does not read; "
        "make a new plan with `reconcile plan -out FILE`"
    )
