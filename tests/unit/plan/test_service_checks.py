"""The service's pure checks around plans: stale saved plans, policy violations, which kinds to read."""

from __future__ import annotations

import pytest

from reconciler.errors import PlanRejected, StalePlan
from reconciler.model.desired import DesiredState, Kind, ResourceKey, SpendAlert, VectorStore
from reconciler.model.live import LiveState, LiveVectorStore
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.service import check_fresh, kinds_to_read, refuse_violations
from tests.unit.plan.support import (
    NAME,
    WS,
    assistant,
    assistant_record,
    live_assistant,
    meeting,
    plan_for,
    version,
    with_location,
)

STORE = VectorStore(name="Policies")


def _state(live: LiveVectorStore | None) -> tuple[LiveState, StoredState]:
    rec = InventoryRecord(key=ResourceKey(kind=Kind.VECTOR_STORE, name="Policies"), platform_id="vs_1")
    return (
        LiveState(vector_stores={"vs_1": live} if live else {}),
        StoredState(workspace=WS, inventory=(rec,)),
    )


def _live(expires: int | None = None) -> LiveVectorStore:
    return LiveVectorStore(id="vs_1", name="Policies", expires_after_days=expires)


def test_fresh_plan_passes() -> None:
    desired = DesiredState(vector_stores={"Policies": STORE.model_copy(update={"expires_after_days": 7})})
    live, stored = _state(_live())
    saved = plan_for(desired, live, stored)
    check_fresh(saved, plan_for(desired, live, stored))


def test_plan_is_stale_when_a_touched_object_changed() -> None:
    desired = DesiredState(vector_stores={"Policies": STORE.model_copy(update={"expires_after_days": 7})})
    live, stored = _state(_live())
    saved = plan_for(desired, live, stored)
    moved_live, _ = _state(_live(expires=3))
    with pytest.raises(StalePlan, match="VectorStore/Policies"):
        check_fresh(saved, plan_for(desired, moved_live, stored))


def test_plan_is_stale_when_someone_already_made_the_change() -> None:
    desired = DesiredState(vector_stores={"Policies": STORE.model_copy(update={"expires_after_days": 7})})
    live, stored = _state(_live())
    saved = plan_for(desired, live, stored)
    done_live, _ = _state(_live(expires=7))
    with pytest.raises(StalePlan):
        check_fresh(saved, plan_for(desired, done_live, stored))


def test_plan_for_another_workspace_is_refused() -> None:
    desired = DesiredState(vector_stores={"Policies": STORE})
    saved = plan_for(desired, LiveState(), StoredState(workspace="staging"))
    with pytest.raises(StalePlan, match="staging"):
        check_fresh(saved, plan_for(desired, LiveState(), StoredState(workspace=WS)))


def test_refuse_violations_names_tool_pointer_and_the_way_out() -> None:
    v1 = assistant()
    live = live_assistant(v1, "asst_1", version=1)
    stored = StoredState(
        workspace=WS,
        inventory=(assistant_record(live),),
        versions=(version(v1, 1, "asst_1"),),
        pointers={NAME: {"stable": 1}},
    )
    v2 = assistant(functions=(meeting(with_location()),))
    plan = plan_for(DesiredState(assistants={NAME: v2}), LiveState(assistants={live.id: live}), stored)
    with pytest.raises(PlanRejected, match=r"create_meeting.*/properties/location.*acceptBreaking"):
        refuse_violations(plan)
    accepted = v2.model_copy(update={"accept_breaking": "ok"})
    state = LiveState(assistants={live.id: live})
    refuse_violations(plan_for(DesiredState(assistants={NAME: accepted}), state, stored))


def test_kinds_to_read_follow_manifests_and_inventory_only() -> None:
    assert kinds_to_read(DesiredState(), StoredState(workspace=WS)) == set()
    desired = DesiredState(
        assistants={NAME: assistant()},
        spend_alerts={"m": SpendAlert(name="m", scope="proj_1", threshold_cents=1)},
    )
    assert kinds_to_read(desired, StoredState(workspace=WS)) == {Kind.ASSISTANT, Kind.SPEND_ALERT}
    _, stored = _state(None)
    file_rec = InventoryRecord(key=ResourceKey(kind=Kind.FILE, name="a.md"), platform_id="file-1")
    stored = stored.model_copy(update={"inventory": (*stored.inventory, file_rec)})
    assert kinds_to_read(DesiredState(), stored) == {Kind.VECTOR_STORE}  # files are never listed
