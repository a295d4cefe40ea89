"""Digests made ahead of planning change how long a plan takes, never what it says."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from reconciler.model.desired import DesiredState, Kind, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan import prepare
from reconciler.plan.prepare import LiveCollector, Names, Prepared, prepare_desired
from tests.unit.plan.support import WS, assistant, assistant_record, live_assistant, plan_for


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
    plain = plan_for(desired, live, stored)
    assert plan_for(desired, live, stored, prepared=_prepared(desired, live, stored)) == plain
    actions = {c.name: c.action.value for c in plain.changes if c.kind == "Assistant"}
    assert actions == {"Same": "no-op", "Changed": "update"}


def test_digests_made_ahead_are_used_not_recomputed(monkeypatch: pytest.MonkeyPatch) -> None:
    desired, live, stored = _state()
    prepared = _prepared(desired, live, stored)
    calls: list[str] = []
    monkeypatch.setattr(prepare, "live_digest", lambda *a: calls.append("live"))
    monkeypatch.setattr(prepare, "desired_digest", lambda *a: calls.append("desired"))
    plan_for(desired, live, stored, prepared=prepared)
    assert calls == []


def test_a_digest_of_another_object_with_the_same_id_is_ignored() -> None:
    # A retried listing may page again; only the object the read returned may be trusted.
    desired, live, stored = _state()
    prepared = _prepared(desired, live, stored)
    edited = live.assistants["asst_1"].model_copy(update={"instructions": "Be rude."})
    reread = LiveState(assistants={**live.assistants, "asst_1": edited})
    plan = plan_for(desired, reread, stored, prepared=prepared)
    assert plan == plan_for(desired, reread, stored)
    assert [str(d.address) for d in plan.drift] == ["Assistant/Same"]  # the stale digest would hide it


def test_a_desired_digest_of_another_manifest_is_ignored() -> None:
    desired, live, stored = _state()
    prepared = _prepared(desired, live, stored)
    edited = desired.model_copy(
        update={"assistants": {**desired.assistants, "Same": assistant(name="Same", model="gpt-5")}}
    )
    assert plan_for(edited, live, stored, prepared=prepared) == plan_for(edited, live, stored)


def test_digests_made_with_other_inventory_names_are_ignored() -> None:
    # The live assistant searches vs_1, which the inventory calls Docs: digests made while vs_1 was
    # called something else would show a file_search change (or hide one) if they were used.
    desired, live, stored = _state()
    searching = live.assistants["asst_1"].model_copy(update={"file_search_vector_store_ids": ("vs_1",)})
    live = LiveState(assistants={**live.assistants, "asst_1": searching})
    collector = LiveCollector(lambda: Names(stores={"vs_1": "Renamed"}))
    collector.add(list(live.assistants.values()))
    stale = collector.prepared(prepare_desired(desired))
    assert stale.live["asst_1"].spec["file_search_vector_stores"] == ["Renamed"]
    plain = plan_for(desired, live, stored)
    assert plan_for(desired, live, stored, prepared=stale) == plain
    (change,) = [c for c in plain.changes if c.name == "Same"]
    assert [(c.path, c.before) for c in change.changes] == [("file_search_vector_stores[0]", "Docs")]


def test_pages_that_arrive_before_the_names_are_kept_not_waited_for() -> None:
    _, live, stored = _state()
    first, second = list(live.assistants.values())
    known: list[Names] = []
    asked: list[int] = []

    def names() -> Names | None:
        asked.append(1)
        return known[0] if known else None

    collector = LiveCollector(names)
    collector.add([first])  # the store read is still running: returns at once, nothing digested
    assert collector.prepared({}).live == {}
    known.append(Names.of(stored))
    collector.add([second])  # the names are in: the kept page is digested with this one
    assert set(collector.prepared({}).live) == {"asst_1", "asst_2"}
    polls = len(asked)
    collector.add([first])
    assert len(asked) == polls  # once answered, the names are not asked for again


def test_the_names_are_never_asked_for_by_two_threads_at_once() -> None:
    _, live, _ = _state()
    inside: list[int] = []
    most = [0]

    def names() -> Names | None:
        inside.append(1)
        most[0] = max(most[0], len(inside))
        time.sleep(0.005)  # long enough for another thread to arrive if nothing kept it out
        inside.pop()
        return None  # the store read never finishes here: every page is kept

    collector = LiveCollector(names)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(collector.add, [[a] for a in live.assistants.values()] * 8))
    assert most[0] == 1
    assert collector.prepared({}).live == {}
