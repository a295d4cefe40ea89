"""The planner over every kind: actions and reasons, platform ids, drift, ownership (adoption, never
touching unmanaged objects), deletion safety, stage order and the content-hash plan id."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import PlanRejected
from reconciler.model import labels
from reconciler.model.canonical import fingerprint
from reconciler.model.desired import (
    DesiredState,
    Kind,
    ResourceKey,
    SourceFile,
    SpendAlert,
    SpendLimit,
    VectorStore,
)
from reconciler.model.live import LiveSpendAlert, LiveSpendLimit, LiveState, LiveVectorStore
from reconciler.model.specs import spend_alert_spec, vector_store_spec
from reconciler.model.stored import InventoryRecord, StoredState
from reconciler.plan import normalise
from reconciler.plan.definition import STAGE_ORDER, Action, Plan, ResourceChange
from tests.unit.plan.support import OWNER, WS, assistant, assistant_record, live_assistant, plan_for

STORE = VectorStore(name="Policies", metadata={"owner": "finance"})
ALERT = SpendAlert(name="monthly", scope="proj_1", threshold_cents=10_000, emails=("a@example.com",))
EMPTY = StoredState(workspace=WS)


def _payload(change: ResourceChange) -> dict[str, Any]:
    """The change's payload as the plan writes it."""
    return change.payload.model_dump(mode="json")


def _live_store(store: VectorStore, platform_id: str, **changes: object) -> LiveVectorStore:
    live = LiveVectorStore(
        id=platform_id,
        name=store.name,
        metadata=labels.with_labels(store.metadata, owner=OWNER, name=store.name, fingerprint="x"),
        expires_after_days=store.expires_after_days,
    )
    return live.model_copy(update=changes)


def _store_record(live: LiveVectorStore, *, protect: bool = False) -> InventoryRecord:
    spec = normalise.vector_store_spec(live, {"type": "auto"})
    return InventoryRecord(
        key=ResourceKey(kind=Kind.VECTOR_STORE, name=str(spec["name"])),
        platform_id=live.id,
        fingerprint=fingerprint(spec),
        live_hash=fingerprint(spec),
        protect=protect,
        attributes={"spec": spec},
    )


def _live_alert(alert: SpendAlert, platform_id: str) -> LiveSpendAlert:
    return LiveSpendAlert(
        id=platform_id,
        scope=alert.scope,
        threshold_cents=alert.threshold_cents,
        emails=alert.emails,
        subject_prefix=alert.subject_prefix,
    )


def _alert_record(name: str, platform_id: str, alert: SpendAlert) -> InventoryRecord:
    spec = spend_alert_spec(alert)
    return InventoryRecord(
        key=ResourceKey(kind=Kind.SPEND_ALERT, name=name),
        platform_id=platform_id,
        live_hash=fingerprint(spec),
        attributes={"spec": spec},
    )


def _actions(plan: Plan) -> dict[str, Action]:
    return {str(c.address): c.action for c in plan.changes}


# ---- create, no-op, update ------------------------------------------------------------------------


def test_empty_everything_is_an_empty_plan() -> None:
    plan = plan_for(DesiredState(), LiveState(), EMPTY)
    assert plan.changes == ()
    assert not plan.has_changes
    assert plan.workspace == WS


def test_new_vector_store_is_created_with_its_spec() -> None:
    plan = plan_for(DesiredState(vector_stores={"Policies": STORE}), LiveState(), EMPTY)
    (change,) = plan.changes
    assert (str(change.address), change.action, change.reason) == (
        "VectorStore/Policies",
        Action.CREATE,
        "not on the platform",
    )
    assert change.platform_id is None
    assert change.spec == vector_store_spec(STORE)
    assert change.fingerprint == fingerprint(vector_store_spec(STORE))
    # deepdiff reports a whole new object as one root-level change; the renderers split it per field.
    assert [(c.path, c.before, c.after) for c in change.changes] == [("", {}, vector_store_spec(STORE))]


def test_applied_vector_store_is_a_no_op() -> None:
    live = _live_store(STORE, "vs_1")
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}),
        LiveState(vector_stores={"vs_1": live}),
        StoredState(workspace=WS, inventory=(_store_record(live),)),
    )
    (change,) = plan.changes
    assert (change.action, change.platform_id, change.reason) == (Action.NOOP, "vs_1", "in sync")
    assert plan.drift == ()
    assert not plan.has_changes


def test_changed_vector_store_field_is_an_update_naming_the_field() -> None:
    live = _live_store(STORE, "vs_1")
    desired = STORE.model_copy(update={"expires_after_days": 30, "metadata": {"owner": "legal"}})
    plan = plan_for(
        DesiredState(vector_stores={"Policies": desired}),
        LiveState(vector_stores={"vs_1": live}),
        StoredState(workspace=WS, inventory=(_store_record(live),)),
    )
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    assert change.platform_id == "vs_1"
    assert change.reason == "manifest differs from the platform"
    assert [(c.path, c.before, c.after) for c in change.changes] == [
        ("expires_after_days", None, 30),
        ("metadata.owner", "finance", "legal"),
    ]
    assert change.live_hash == _store_record(live).live_hash


def test_recorded_object_gone_from_the_platform_is_recreated() -> None:
    live = _live_store(STORE, "vs_1")
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}),
        LiveState(),
        StoredState(workspace=WS, inventory=(_store_record(live),)),
    )
    (change,) = plan.changes
    assert change.action is Action.CREATE
    assert "vs_1" in change.reason and "gone" in change.reason


# ---- ownership -------------------------------------------------------------------------------------


def test_labelled_store_missing_from_inventory_is_adopted_never_created() -> None:
    live = _live_store(STORE, "vs_9")
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}), LiveState(vector_stores={"vs_9": live}), EMPTY
    )
    (change,) = plan.changes
    assert change.action is Action.NOOP
    assert change.adopt is True
    assert change.platform_id == "vs_9"
    assert "adopting" in change.reason


def test_an_adoption_alone_is_a_change_the_summary_counts() -> None:
    """Apply writes an adoption to the state, so `--detailed-exitcode` must see it (exit 2)."""
    live = _live_store(STORE, "vs_9")
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}), LiveState(vector_stores={"vs_9": live}), EMPTY
    )
    assert plan.has_changes
    assert (plan.summary.adopt, plan.summary.noop, plan.summary.changed) == (1, 0, 1)


def test_an_adoption_that_also_updates_counts_once_as_an_update() -> None:
    live = _live_store(STORE, "vs_9", name="Policies", expires_after_days=7)
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}), LiveState(vector_stores={"vs_9": live}), EMPTY
    )
    (change,) = plan.changes
    assert (change.action, change.adopt) == (Action.UPDATE, True)
    assert (plan.summary.update, plan.summary.adopt, plan.summary.changed) == (1, 0, 1)


def test_an_adopted_assistant_reads_an_adopted_stores_id_as_its_name() -> None:
    """After a state loss the store is known by its label only: the assistant referencing it is still
    in sync (a pure adoption), not an update from `id:vs_9` to `Policies`."""
    desired = assistant(file_search_vector_stores=("Policies",))
    helper = live_assistant(desired, "asst_1", version=1)
    helper = helper.model_copy(update={"file_search_vector_store_ids": ("vs_9",)})
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}, assistants={desired.name: desired}),
        LiveState(vector_stores={"vs_9": _live_store(STORE, "vs_9")}, assistants={"asst_1": helper}),
        EMPTY,
    )
    assert {(str(c.address), c.action, c.adopt) for c in plan.changes} == {
        ("VectorStore/Policies", Action.NOOP, True),
        (f"Assistant/{desired.name}", Action.NOOP, True),
    }
    assert plan.summary.adopt == 2 and plan.summary.update == 0


def test_a_store_labelled_without_an_owner_is_created_and_the_plan_warns() -> None:
    """A store labelled by a reconciler before owner labels (or by hand): never adopted, but said."""
    live = _live_store(STORE, "vs_old")
    legacy = live.model_copy(
        update={"metadata": {k: v for k, v in live.metadata.items() if k != labels.OWNER}}
    )
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}), LiveState(vector_stores={"vs_old": legacy}), EMPTY
    )
    assert _actions(plan) == {"VectorStore/Policies": Action.CREATE}
    assert plan.warnings == (
        "VectorStore/Policies: vs_old is labelled reconciler/name Policies by an earlier reconciler (or "
        "by hand) but names no owner, so it is not adopted; if it is this project's, adopt it with "
        "`reconcile import vector-store vs_old`",
    )


def test_adoption_takes_only_one_of_two_labelled_duplicates() -> None:
    a, b = _live_store(STORE, "vs_a"), _live_store(STORE, "vs_b")
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}),
        LiveState(vector_stores={"vs_a": a, "vs_b": b}),
        EMPTY,
    )
    (change,) = plan.changes
    assert change.adopt is True
    assert change.platform_id in {"vs_a", "vs_b"}
    assert not any(c.action is Action.DELETE for c in plan.changes)  # the other is not ours to delete


def test_unmanaged_objects_are_never_touched() -> None:
    stranger = LiveVectorStore(id="vs_x", name="Policies", metadata={"owner": "finance"})
    unmanaged_assistant = live_assistant(assistant(name="Theirs"), "asst_x", managed=False)
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}),
        LiveState(vector_stores={"vs_x": stranger}, assistants={"asst_x": unmanaged_assistant}),
        EMPTY,
    )
    assert _actions(plan) == {"VectorStore/Policies": Action.CREATE}
    assert all(c.platform_id is None for c in plan.changes)


def test_an_equal_spend_alert_nothing_records_is_never_adopted_and_the_plan_says_so() -> None:
    """Issue 12, item 5: alerts carry no label, so an equal one may be a hand-made twin."""
    plan = plan_for(
        DesiredState(spend_alerts={"monthly": ALERT}),
        LiveState(spend_alerts={"spa_1": _live_alert(ALERT, "spa_1")}),
        EMPTY,
    )
    (change,) = plan.changes
    assert (change.action, change.adopt, change.platform_id) == (Action.CREATE, False, None)
    (warning,) = plan.warnings
    assert warning.startswith("SpendAlert/monthly: identical alert spa_1 exists but nothing records it as")


def test_two_equal_spend_alerts_nothing_records_are_named_in_one_warning() -> None:
    live = {i: _live_alert(ALERT, i) for i in ("spa_1", "spa_2")}
    plan = plan_for(DesiredState(spend_alerts={"monthly": ALERT}), LiveState(spend_alerts=live), EMPTY)
    (warning,) = plan.warnings
    assert warning.startswith(
        "SpendAlert/monthly: identical alerts spa_1, spa_2 exist but nothing records them"
    )


def test_spend_alert_with_a_different_spec_is_not_adopted() -> None:
    other = ALERT.model_copy(update={"threshold_cents": 5_000})
    plan = plan_for(
        DesiredState(spend_alerts={"monthly": ALERT}),
        LiveState(spend_alerts={"spa_1": _live_alert(other, "spa_1")}),
        EMPTY,
    )
    (change,) = plan.changes
    assert (change.action, change.adopt, change.platform_id) == (Action.CREATE, False, None)


def test_two_equal_desired_alerts_are_both_created_beside_an_unrecorded_one() -> None:
    plan = plan_for(
        DesiredState(spend_alerts={"a": ALERT, "b": ALERT}),
        LiveState(spend_alerts={"spa_1": _live_alert(ALERT, "spa_1")}),
        EMPTY,
    )
    by = plan.by_address()
    assert {
        (by[a].action, by[a].adopt) for a in map(ResourceKey.parse, ("SpendAlert/a", "SpendAlert/b"))
    } == {(Action.CREATE, False)}
    assert len(plan.warnings) == 2


def test_spend_alert_recorded_under_another_name_is_not_adopted() -> None:
    plan = plan_for(
        DesiredState(spend_alerts={"new": ALERT, "old": ALERT}),
        LiveState(spend_alerts={"spa_1": _live_alert(ALERT, "spa_1")}),
        StoredState(workspace=WS, inventory=(_alert_record("old", "spa_1", ALERT),)),
    )
    by = plan.by_address()
    old = by[ResourceKey.parse("SpendAlert/old")]
    assert (old.action, old.platform_id) == (Action.NOOP, "spa_1")
    assert old.adopt is False
    new = by[ResourceKey.parse("SpendAlert/new")]
    assert (new.action, new.platform_id) == (Action.CREATE, None)


def test_spend_limit_update_is_keyed_by_scope() -> None:
    limit = SpendLimit(name="cap", scope="proj_1", amount_cents=50_000)
    live = LiveSpendLimit(scope="proj_1", amount_cents=20_000)
    rec = InventoryRecord(key=ResourceKey(kind=Kind.SPEND_LIMIT, name="cap"), platform_id="proj_1")
    plan = plan_for(
        DesiredState(spend_limits={"cap": limit}),
        LiveState(spend_limits={"proj_1": live}),
        StoredState(workspace=WS, inventory=(rec,)),
    )
    (change,) = plan.changes
    assert change.action is Action.UPDATE
    assert change.platform_id == "proj_1"
    assert [(c.path, c.before, c.after) for c in change.changes] == [("amount_cents", 20_000, 50_000)]


def test_a_deleted_alert_carries_the_scope_its_record_names() -> None:
    """Issue 12, item 3: the delete goes where the alert lives, not to a scope guessed from its changes."""
    plan = plan_for(
        DesiredState(),
        LiveState(spend_alerts={"spa_1": _live_alert(ALERT, "spa_1")}),
        StoredState(workspace=WS, inventory=(_alert_record("monthly", "spa_1", ALERT),)),
        allow_empty=True,
    )
    (change,) = plan.changes
    assert (change.action, change.platform_id, _payload(change)) == (
        Action.DELETE,
        "spa_1",
        {"scope": "proj_1"},
    )


def test_a_deleted_alert_whose_record_lacks_its_spec_takes_the_scope_it_is_listed_under() -> None:
    org = ALERT.model_copy(update={"scope": "organization"})
    bare = InventoryRecord(key=ResourceKey(kind=Kind.SPEND_ALERT, name="monthly"), platform_id="spa_1")
    plan = plan_for(
        DesiredState(),
        LiveState(spend_alerts={"spa_1": _live_alert(org, "spa_1")}),
        StoredState(workspace=WS, inventory=(bare,)),
        allow_empty=True,
    )
    (change,) = plan.changes
    assert _payload(change) == {"scope": "organization"}


def test_a_spend_limit_set_outside_is_taken_over_and_the_plan_says_so() -> None:
    """A scope has one limit: there is no other to create, so declaring one takes it over, visibly."""
    limit = SpendLimit(name="cap", scope="proj_1", amount_cents=50_000)
    plan = plan_for(
        DesiredState(spend_limits={"cap": limit}),
        LiveState(spend_limits={"proj_1": LiveSpendLimit(scope="proj_1", amount_cents=20_000)}),
        EMPTY,
    )
    (change,) = plan.changes
    assert (change.action, change.adopt, change.platform_id) == (Action.UPDATE, True, "proj_1")
    assert [(c.path, c.before, c.after) for c in change.changes] == [("amount_cents", 20_000, 50_000)]
    (warning,) = plan.warnings
    assert warning.startswith("SpendLimit/cap: takes over the spend limit set for proj_1")


# ---- drift -----------------------------------------------------------------------------------------


def test_out_of_band_edit_is_reported_as_drift_with_the_changed_field() -> None:
    applied = _live_store(STORE, "vs_1")
    edited = _live_store(
        STORE, "vs_1", metadata=labels.with_labels({"owner": "mallory"}, owner=OWNER, name="Policies")
    )
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}),
        LiveState(vector_stores={"vs_1": edited}),
        StoredState(workspace=WS, inventory=(_store_record(applied),)),
    )
    (drift,) = plan.drift
    assert str(drift.address) == "VectorStore/Policies"
    assert drift.platform_id == "vs_1"
    assert [(c.path, c.before, c.after) for c in drift.changes] == [("metadata.owner", "finance", "mallory")]
    assert plan.summary.drift == 1
    (change,) = plan.changes
    assert change.action is Action.UPDATE  # the plan puts it back


def test_assistant_drift_is_reported() -> None:
    desired = assistant()
    applied = live_assistant(desired, "asst_1", version=1)
    edited = applied.model_copy(update={"instructions": "Be rude."})
    plan = plan_for(
        DesiredState(assistants={desired.name: desired}),
        LiveState(assistants={"asst_1": edited}),
        StoredState(workspace=WS, inventory=(assistant_record(applied),)),
    )
    (drift,) = plan.drift
    assert str(drift.address) == f"Assistant/{desired.name}"
    assert [c.path for c in drift.changes] == ["instructions"]


def test_record_without_live_hash_never_reports_drift() -> None:
    applied = _live_store(STORE, "vs_1")
    edited = _live_store(STORE, "vs_1", expires_after_days=9)
    rec = _store_record(applied).model_copy(update={"live_hash": ""})
    plan = plan_for(
        DesiredState(vector_stores={"Policies": STORE}),
        LiveState(vector_stores={"vs_1": edited}),
        StoredState(workspace=WS, inventory=(rec,)),
    )
    assert plan.drift == ()


# ---- deletion safety -------------------------------------------------------------------------------


def _two_stores() -> tuple[LiveState, StoredState]:
    a, b = _live_store(STORE, "vs_1"), _live_store(STORE.model_copy(update={"name": "Other"}), "vs_2")
    return (
        LiveState(vector_stores={"vs_1": a, "vs_2": b}),
        StoredState(workspace=WS, inventory=(_store_record(a), _store_record(b))),
    )


def test_resource_removed_from_manifests_is_deleted() -> None:
    live, stored = _two_stores()
    plan = plan_for(DesiredState(vector_stores={"Policies": STORE}), live, stored)
    delete = plan.by_address()[ResourceKey.parse("VectorStore/Other")]
    assert (delete.action, delete.platform_id, delete.reason) == (
        Action.DELETE,
        "vs_2",
        "removed from the manifests",
    )
    assert delete.spec is None
    assert [(c.path, c.after) for c in delete.changes] == [("", {})]
    assert delete.changes[0].before["name"] == "Other"


def test_deleted_resource_already_gone_says_so() -> None:
    live, stored = _two_stores()
    live = LiveState(vector_stores={"vs_1": live.vector_stores["vs_1"]})
    plan = plan_for(DesiredState(vector_stores={"Policies": STORE}), live, stored)
    assert plan.by_address()[ResourceKey.parse("VectorStore/Other")].reason.endswith("(already gone)")


def test_protected_resource_cannot_be_deleted_even_after_its_manifest_is() -> None:
    live, stored = _two_stores()
    protected = stored.inventory[1].model_copy(update={"protect": True})
    stored = stored.model_copy(update={"inventory": (stored.inventory[0], protected)})
    with pytest.raises(PlanRejected, match="VectorStore/Other"):
        plan_for(DesiredState(vector_stores={"Policies": STORE}), live, stored)
    with pytest.raises(PlanRejected, match="protected"):  # allow_empty does not lift protection
        plan_for(DesiredState(vector_stores={"Policies": STORE}), live, stored, allow_empty=True)


def test_deleting_every_managed_object_needs_allow_empty() -> None:
    live, stored = _two_stores()
    with pytest.raises(PlanRejected, match="every managed object"):
        plan_for(DesiredState(), live, stored)
    plan = plan_for(DesiredState(), live, stored, allow_empty=True)
    assert _actions(plan) == {"VectorStore/Other": Action.DELETE, "VectorStore/Policies": Action.DELETE}


def test_renaming_is_not_a_delete_everything_plan() -> None:
    live, stored = _two_stores()
    desired = DesiredState(vector_stores={"Renamed": STORE.model_copy(update={"name": "Renamed"})})
    plan = plan_for(desired, live, stored)
    assert plan.summary.create == 1 and plan.summary.delete == 2


# ---- plan shape ------------------------------------------------------------------------------------


def test_changes_are_in_stage_order_and_assistants_depend_on_their_stores() -> None:
    source = SourceFile(path="docs/rules.md", sha256="a" * 64, size=3)
    desired = DesiredState(
        assistants={"Helper": assistant(file_search_vector_stores=("Policies",))},
        vector_stores={"Policies": STORE.model_copy(update={"files": (source,)})},
        spend_alerts={"monthly": ALERT},
    )
    plan = plan_for(desired, LiveState(), EMPTY)
    stages = [c.stage for c in plan.changes]
    assert stages == sorted(stages, key=STAGE_ORDER.index)
    assert [str(c.address) for c in plan.changes] == [
        "File/docs/rules.md",
        "VectorStore/Policies",
        "VectorStoreFile/Policies/docs/rules.md",
        "Assistant/Helper",
        "SpendAlert/monthly",
    ]
    helper = plan.by_address()[ResourceKey.parse("Assistant/Helper")]
    assert [str(d) for d in helper.depends_on] == ["VectorStore/Policies"]


def test_plan_id_is_a_content_hash_without_creation_time() -> None:
    desired = DesiredState(vector_stores={"Policies": STORE})
    first = plan_for(desired, LiveState(), EMPTY, created_at=1.0)
    second = plan_for(desired, LiveState(), EMPTY, created_at=2.0)
    assert first.plan_id and first.plan_id == second.plan_id
    other = plan_for(
        DesiredState(vector_stores={"P": STORE.model_copy(update={"name": "P"})}), LiveState(), EMPTY
    )
    assert other.plan_id != first.plan_id
    assert Plan.from_json(first.to_json()) == first
