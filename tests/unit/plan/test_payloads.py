"""Typed changes: an address is one `Kind/name` value written as that string, and each kind's change
carries its own payload type, read back as that type from a saved plan."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from reconciler.model.desired import Kind, ResourceKey
from reconciler.plan.definition import Action, Plan, ResourceChange, Stage
from reconciler.plan.payloads import (
    AssistantPayload,
    AttachmentPayload,
    NoPayload,
    SpendAlertPayload,
    Verdict,
    VersionPlan,
)


def _change(address: str, stage: Stage, **kw: object) -> ResourceChange:
    key = ResourceKey.parse(address)
    return ResourceChange.model_validate(
        {"address": address, "kind": key.kind, "name": key.name, "stage": stage, "action": Action.CREATE,
         "reason": "new", **kw}
    )  # fmt: skip


def test_an_address_is_a_value_written_as_the_string_users_see() -> None:
    key = ResourceKey.parse("VectorStoreFile/Policies/docs/rules.md")
    assert (key.kind, key.name, key.store_and_path) == (Kind.VECTOR_STORE_FILE, "Policies/docs/rules.md",
                                                       ("Policies", "docs/rules.md"))  # fmt: skip
    assert key == ResourceKey.attachment("Policies", "docs/rules.md")
    assert str(key) == "VectorStoreFile/Policies/docs/rules.md"
    assert key.model_dump() == str(key)
    with pytest.raises(ValueError, match="NotAKind"):
        ResourceKey.parse("NotAKind/x")


def test_each_kind_gets_its_own_payload_type_and_an_empty_one_by_default() -> None:
    assert isinstance(_change("Assistant/a", Stage.ASSISTANTS).payload, AssistantPayload)
    assert isinstance(_change("VectorStore/v", Stage.VECTOR_STORES).payload, NoPayload)
    scoped = _change("SpendAlert/m", Stage.SPEND, payload={"scope": "organization"})
    assert scoped.payload_as(SpendAlertPayload).scope == "organization"
    with pytest.raises(TypeError, match="not a AttachmentPayload"):
        scoped.payload_as(AttachmentPayload)


def test_a_payload_of_another_kind_or_an_unknown_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="instance of FilePayload"):
        _change("File/a.md", Stage.FILES, payload=AssistantPayload())
    with pytest.raises(ValidationError, match="Extra inputs"):
        _change("File/a.md", Stage.FILES, payload={"version": {"number": 1, "parent": None}})
    with pytest.raises(ValidationError, match="disagree"):
        _change("File/a.md", Stage.FILES, kind=Kind.ASSISTANT)


def test_a_saved_plan_reads_back_typed_payloads_and_writes_only_what_was_said() -> None:
    verdict = Verdict(policy="backward", satisfied=False, violations=("tool t: OBJ-06",))
    created = _change(
        "Assistant/a",
        Stage.ASSISTANTS,
        payload=AssistantPayload(version=VersionPlan(number=2, parent=1), verdict=verdict),
        depends_on=("VectorStore/v",),
    )
    plan = Plan(workspace="w", changes=(created,)).with_id()
    document = json.loads(plan.to_json())
    (change,) = document["changes"]
    assert change["address"] == "Assistant/a" and change["depends_on"] == ["VectorStore/v"]
    assert change["payload"]["version"] == {"number": 2, "parent": 1, "strategy": "immutable"}
    assert set(change["payload"]["verdict"]) == {"policy", "satisfied", "accepted", "tools", "violations"}
    loaded = Plan.load(plan.to_json(), source="plan.json")
    assert loaded == plan
    assert loaded.changes[0].payload_as(AssistantPayload).verdict == verdict
    assert loaded.violations() == ["Assistant/a: tool t: OBJ-06 (policy: backward)"]
