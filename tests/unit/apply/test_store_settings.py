"""Issue 12 item 8: settings only the state store holds (`protect`) plan as changes when they change, and
apply records them with no platform call, for every kind that has them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.errors import PlanRejected
from reconciler.model.desired import DesiredState, ResourceKey
from reconciler.plan.definition import Action
from reconciler.store import StateStore, open_store
from tests.unit.apply.fake_target import FakeTarget
from tests.unit.apply.test_executor import RULES, WS, _apply, _desired, _plan

ADDRESSES = {
    "assistants": "Assistant/Helper",
    "vector_stores": "VectorStore/Policies",
    "spend_alerts": "SpendAlert/monthly",
}


@pytest.fixture
def store() -> Iterator[StateStore]:
    with open_store("sqlite:///:memory:") as s:
        yield s


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rules.md").write_bytes(RULES)
    return tmp_path


def _protected(desired: DesiredState, kind: str, protect: bool = True) -> DesiredState:
    objects = getattr(desired, kind)
    ((name, obj),) = objects.items()
    return desired.model_copy(update={kind: {name: obj.model_copy(update={"protect": protect})}})


def _without(desired: DesiredState, kind: str) -> DesiredState:
    return desired.model_copy(update={kind: {}})


def _recorded(store: StateStore, address: str) -> bool:
    (record,) = [r for r in store.inventory(WS) if str(r.key) == address]
    return record.protect


@pytest.mark.parametrize("kind", sorted(ADDRESSES))
def test_protect_turned_on_later_is_an_update_recorded_without_a_platform_call(
    kind: str, store: StateStore, root: Path
) -> None:
    target = FakeTarget()
    _apply(_desired(), target, store, root)
    address = ADDRESSES[kind]
    assert _recorded(store, address) is False

    protected = _protected(_desired(), kind)
    plan = _plan(protected, target, store)
    change = plan.by_address()[ResourceKey.parse(address)]
    assert change.action is Action.UPDATE and change.store_only
    assert [(c.path, c.before, c.after) for c in change.changes] == [("protect", False, True)]
    assert plan.summary.changed == 1

    target.calls.clear()
    _, report = _apply(protected, target, store, root)
    assert report.ok
    assert target.calls == []  # nothing on the platform changes
    assert _recorded(store, address) is True
    assert not _plan(protected, target, store).has_changes

    with pytest.raises(PlanRejected, match=f"protected.*{address}"):
        _plan(_without(protected, kind), target, store, allow_empty=True)


def test_protect_with_a_real_change_is_recorded_by_the_platform_update(store: StateStore, root: Path) -> None:
    target = FakeTarget()
    _apply(_desired(), target, store, root)
    changed = _protected(_desired(), "vector_stores")
    store_obj = changed.vector_stores["Policies"]
    changed = changed.model_copy(
        update={"vector_stores": {"Policies": store_obj.model_copy(update={"metadata": {"team": "x"}})}}
    )
    change = _plan(changed, target, store).by_address()[ResourceKey.parse("VectorStore/Policies")]
    assert {c.path for c in change.changes} == {"metadata.team", "protect"}
    assert not change.store_only
    target.calls.clear()
    _apply(changed, target, store, root)
    assert target.calls == ["update_vector_store"]
    assert _recorded(store, "VectorStore/Policies") is True
