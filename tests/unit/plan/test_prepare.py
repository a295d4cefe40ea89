"""Digests made ahead of planning change how long a plan takes, never what it says."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from reconciler.model.desired import DesiredState, Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan import prepare
from reconciler.plan.planner import build_plan
from reconciler.plan.prepare import LiveCollector, Names, Prepared, prepare_desired
from tests.unit.plan.support import WS, assistant, assistant_record, live_assistant


def _state() -> tuple[DesiredState, LiveState, StoredState]:
    """Two assistants: one in sync, one whose manifest changed (an update with field changes)."""
    same, changed = assistant(name="Same"), assistant(name="Changed")
    live_same, live_changed = live_assistant(same, "asst_1"), live_assistant(changed, "asst_2")
    desired = DesiredState(
        assistants={"Same": same, "Changed": changed.model_copy(update={"description": "New."})}
    )
    live = LiveState(assistants={"asst_1": live_same, "asst_2": live_changed})
    store = InventoryRecord(key=ResourceKey(kind=Kind.VECTOR_STORE, name="Docs"), platform_id="vs_1")
    stored = StoredState(
        workspace=WS, inventory=(assistant_record(live_same), assistant_record(live_changed), store)
    )
    return desired, live, stored


def _prepared(desired: DesiredState, live: LiveState, stored: StoredState) -> Prepared:
    collector = LiveCollector(lambda: Names.of(stored))
    collector.add(list(live.assistants.values()))
    return collector.prepared(prepare_desired(desired))


def test_a_prepared_plan_equals_the_plan_made_from_scratch() -> None:
    desired, live, stored = _state()
    plain = build_plan(desired, live, stored)
    assert build_plan(desired, live, stored, prepared=_prepared(desired, live, stored)) == plain
    actions = {c.name: c.action.value for c in plain.changes if c.kind == "Assistant"}
    assert actions == {"Same": "no-op", "Changed": "update"}


def test_digests_made_ahead_are_used_not_recomputed(monkeypatch: pytest.MonkeyPatch) -> None:
    desired, live, stored = _state()
    prepared = _prepared(desired, live, stored)
    calls: list[str] = []
    monkeypatch.setattr(prepare, "live_digest", lambda *a: calls.append("live"))
    monkeypatch.setattr(prepare, "desired_digest", lambda *a: calls.append("desired"))
    build_plan(desired, live, stored, prepared=prepared)
    assert calls == []


def test_a_digest_of_another_object_with_the_same_id_is_ignored() -> None:
    # A retried listing may page again; only the object the read returned may be trusted.
    desired, live, stored = _state()
    prepared = _prepared(desired, live, stored)
    edited = live.assistants["asst_1"].model_copy(update={"instructions": "Be rude."})
    reread = LiveState(assistants={**live.assistants, "asst_1": edited})
    plan = build_plan(desired, reread, stored, prepared=prepared)
    assert plan == build_plan(desired, reread, stored)
    assert [d.address for d in plan.drift] == ["Assistant/Same"]  # the stale digest would hide it


def test_a_desired_digest_of_another_manifest_is_ignored() -> None:
    desired, live, stored = _state()
    prepared = _prepared(desired, live, stored)
    edited = desired.model_copy(
        update={"assistants": {**desired.assistants, "Same": assistant(name="Same", model="gpt-5")}}
    )
    assert build_plan(edited, live, stored, prepared=prepared) == build_plan(edited, live, stored)


def test_digests_made_with_other_inventory_names_are_ignored() -> None:
    desired, live, stored = _state()
    stale = Prepared(Names(stores={"vs_1": "Renamed"}), prepare_desired(desired), {})
    assert build_plan(desired, live, stored, prepared=stale) == build_plan(desired, live, stored)


def test_the_collector_takes_pages_from_many_threads_and_asks_for_names_once() -> None:
    _, live, stored = _state()
    asked: list[int] = []

    def names() -> Names:
        asked.append(1)
        return Names.of(stored)

    collector = LiveCollector(names)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(collector.add, [[a] for a in live.assistants.values()] * 8))
    assert set(collector.prepared({}).live) == {"asst_1", "asst_2"}
    assert len(asked) == 1
