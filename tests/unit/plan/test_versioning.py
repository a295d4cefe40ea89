"""Planning assistants: immutable versions, metadata-only updates, reuse on revert, in-place versioning,
adoption, and compatibility verdicts that `Plan.violations()` turns into a refusal."""

from __future__ import annotations

from typing import Any

from reconciler.model import labels
from reconciler.model.desired import Assistant, DesiredState, ResourceKey
from reconciler.model.live import LiveState
from reconciler.model.specs import assistant_spec, behaviour_fingerprint
from reconciler.model.stored import StoredState
from reconciler.plan.definition import Action, Plan, ResourceChange
from reconciler.plan.payloads import AssistantPayload
from reconciler.render.values import version_phrase
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

V1 = assistant()
V2 = assistant(functions=(meeting(with_location()),))


def _payload(change: ResourceChange) -> dict[str, Any]:
    """The change's payload as the plan writes it."""
    return change.payload.model_dump(mode="json")


def _plan(desired: Assistant, live: LiveState, stored: StoredState) -> Plan:
    return plan_for(DesiredState(assistants={desired.name: desired}), live, stored)


def _only(plan: Plan) -> ResourceChange:
    (change,) = [c for c in plan.changes if c.kind == "Assistant"]
    return change


def _applied_v1() -> tuple[LiveState, StoredState]:
    """State after the first apply: version 1 exists, recorded, and `stable` holds it."""
    live = live_assistant(V1, "asst_1", version=1)
    return (
        LiveState(assistants={live.id: live}),
        StoredState(
            workspace=WS,
            inventory=(assistant_record(live),),
            versions=(version(V1, 1, "asst_1"),),
            pointers={NAME: {"stable": 1}},
        ),
    )


def _applied_v1_v2(accept: str | None = "needs a room") -> tuple[LiveState, StoredState]:
    """State after version 2 was created and `stable` moved to it; version 1 still exists."""
    v1 = live_assistant(V1, "asst_1", version=1)
    v2_desired = V2.model_copy(update={"accept_breaking": accept})
    v2 = live_assistant(v2_desired, "asst_2", version=2)
    return (
        LiveState(assistants={v1.id: v1, v2.id: v2}),
        StoredState(
            workspace=WS,
            inventory=(assistant_record(v2),),
            versions=(version(V1, 1, "asst_1"), version(v2_desired, 2, "asst_2", parent=1)),
            pointers={NAME: {"stable": 2}},
        ),
    )


def test_first_apply_creates_version_1() -> None:
    change = _only(_plan(V1, LiveState(), StoredState(workspace=WS)))
    assert change.action is Action.CREATE
    assert change.platform_id is None
    assert _payload(change)["version"] == {
        "number": 1,
        "parent": None,
        "strategy": "immutable",
    }
    assert "verdict" not in _payload(change)
    assert change.fingerprint == behaviour_fingerprint(assistant_spec(V1))
    assert change.spec == assistant_spec(V1)


def test_on_a_bundle_target_the_plan_says_release_bundle_not_platform() -> None:
    desired = DesiredState(assistants={V1.name: V1})
    change = _only(plan_for(desired, LiveState(), StoredState(workspace=WS), bundles=True))
    assert change.action is Action.CREATE and change.reason == "no version yet"
    assert _payload(change)["version"] == {
        "number": 1,
        "parent": None,
        "strategy": "immutable",
        "bundle": True,
    }
    assert (
        version_phrase(change.payload_as(AssistantPayload).version) == "version 1 (immutable, release bundle)"
    )


def test_applied_assistant_plans_no_op() -> None:
    live, stored = _applied_v1()
    change = _only(_plan(V1, live, stored))
    assert change.action is Action.NOOP
    assert change.platform_id == "asst_1"
    assert change.changes == ()


def test_behaviour_change_creates_next_version_with_parent_and_verdict() -> None:
    live, stored = _applied_v1()
    change = _only(_plan(V2, live, stored))
    assert change.action is Action.CREATE
    assert change.platform_id is None  # a new platform object; version 1 stays intact
    assert _payload(change)["version"] == {
        "number": 2,
        "parent": 1,
        "strategy": "immutable",
    }
    assert change.reason == "behaviour changed: version 2 (parent 1)"
    paths = {c.path for c in change.changes}
    assert paths == {
        "tools[create_meeting].parameters.properties.location",
        "tools[create_meeting].parameters.required[2]",
    }
    verdict = _payload(change)["verdict"]
    assert verdict["policy"] == "backward"
    assert verdict["satisfied"] is False
    assert verdict["accepted"] is None
    tool = verdict["tools"]["create_meeting"]
    assert tool["backward"] == "no"
    assert {(f["pointer"], f["rule"]) for f in tool["findings"]} >= {("/properties/location", "OBJ-06")}


def test_instruction_change_is_a_new_version_with_a_satisfied_verdict() -> None:
    live, stored = _applied_v1()
    change = _only(_plan(assistant(instructions="Be thorough."), live, stored))
    assert change.action is Action.CREATE
    assert _payload(change)["version"]["number"] == 2
    assert _payload(change)["verdict"]["satisfied"] is True
    assert _payload(change)["verdict"]["tools"] == {}  # no tool changed


def test_breaking_change_is_a_violation_unless_accepted() -> None:
    live, stored = _applied_v1()
    refused = _plan(V2, live, stored)
    (violation,) = refused.violations()
    assert violation.startswith(f"Assistant/{NAME}: tool create_meeting: OBJ-06 at /properties/location")
    assert violation.endswith("(policy: backward)")

    accepted = _plan(V2.model_copy(update={"accept_breaking": "calendar needs rooms"}), live, stored)
    assert accepted.violations() == []
    assert _payload(_only(accepted))["verdict"]["accepted"] == "calendar needs rooms"


def _bounded(maximum: int) -> dict[str, object]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"minutes": {"type": "integer", "maximum": maximum}},
        "required": ["minutes"],
    }


def test_widening_a_bound_satisfies_backward_but_not_forward() -> None:
    before = assistant(functions=(meeting(_bounded(480)),))
    after = assistant(functions=(meeting(_bounded(600)),))
    live = live_assistant(before, "asst_1", version=1)
    stored = StoredState(
        workspace=WS,
        inventory=(assistant_record(live),),
        versions=(version(before, 1, "asst_1"),),
        pointers={NAME: {"stable": 1}},
    )
    state = LiveState(assistants={live.id: live})
    plan = _plan(after, state, stored)
    tool = _payload(_only(plan))["verdict"]["tools"]["create_meeting"]
    assert (tool["backward"], tool["forward"]) == ("yes", "no")
    assert plan.violations() == []
    # The same change under `forward` (or `full`) is a violation.
    assert _plan(after.model_copy(update={"compatibility": "forward"}), state, stored).violations()
    assert _plan(after.model_copy(update={"compatibility": "full"}), state, stored).violations()


def test_adding_a_typed_property_to_an_open_object_is_not_backward() -> None:
    """Old callers could send `room` with any type; the new schema narrows it to a string."""
    title = {"title": {"type": "string"}}
    open_params: dict[str, Any] = {"type": "object", "properties": title, "required": ["title"]}
    after_params = {**open_params, "properties": {**title, "room": {"type": "string"}}}
    before = assistant(functions=(meeting(open_params),))
    live = live_assistant(before, "asst_1", version=1)
    stored = StoredState(
        workspace=WS,
        inventory=(assistant_record(live),),
        versions=(version(before, 1, "asst_1"),),
        pointers={NAME: {"stable": 1}},
    )
    plan = _plan(assistant(functions=(meeting(after_params),)), LiveState(assistants={live.id: live}), stored)
    (violation,) = plan.violations()
    assert "/properties/room" in violation


def test_policy_none_accepts_anything() -> None:
    live, stored = _applied_v1()
    plan = _plan(V2.model_copy(update={"compatibility": "none"}), live, stored)
    assert _payload(_only(plan))["verdict"]["satisfied"] is True
    assert plan.violations() == []


def test_revert_reuses_the_existing_version() -> None:
    live, stored = _applied_v1_v2()
    change = _only(_plan(V1, live, stored))
    assert change.action is Action.UPDATE
    assert change.platform_id == "asst_1"
    assert _payload(change)["version"] == {
        "number": 1,
        "parent": None,
        "strategy": "immutable",
        "reuse": True,
    }
    assert _payload(change)["metadata_changes"] == []  # version 1 already has the desired metadata
    assert "version 1" in change.reason and "nothing is created" in change.reason
    # The revert removes a required property: breaking from version 2's point of view.
    assert _payload(change)["verdict"]["satisfied"] is False


def test_revert_with_a_metadata_edit_reuses_and_lists_metadata_changes() -> None:
    live, stored = _applied_v1_v2()
    change = _only(_plan(V1.model_copy(update={"description": "Now also rooms."}), live, stored))
    assert change.action is Action.UPDATE
    assert change.platform_id == "asst_1"
    assert _payload(change)["version"]["reuse"] is True
    assert [c["path"] for c in _payload(change)["metadata_changes"]] == ["description"]


def test_metadata_only_change_updates_in_place() -> None:
    live, stored = _applied_v1()
    edited = V1.model_copy(update={"description": "Books rooms too.", "metadata": {"team": "infra"}})
    change = _only(_plan(edited, live, stored))
    assert change.action is Action.UPDATE
    assert change.platform_id == "asst_1"
    assert "version" not in _payload(change)  # no new version
    assert "in place" in change.reason
    assert {(c.path, c.before, c.after) for c in change.changes} == {
        ("description", "Books meetings.", "Books rooms too."),
        ("metadata.team", "tools", "infra"),
    }
    assert change.fingerprint == behaviour_fingerprint(assistant_spec(V1))


def test_out_of_band_behaviour_edit_of_stable_is_restored_in_place() -> None:
    live, stored = _applied_v1()
    tampered = live.assistants["asst_1"].model_copy(update={"model": "gpt-4o"})
    change = _only(_plan(V1, LiveState(assistants={"asst_1": tampered}), stored))
    assert change.action is Action.UPDATE
    assert change.platform_id == "asst_1"
    assert "restoring" in change.reason
    assert [(c.path, c.before, c.after) for c in change.changes] == [("model", "gpt-4o", "gpt-4.1")]


def test_in_place_versioning_updates_the_same_object() -> None:
    desired = V2.model_copy(update={"versioning": "in-place"})
    live, stored = _applied_v1()
    change = _only(_plan(desired, live, stored))
    assert change.action is Action.UPDATE
    assert change.platform_id == "asst_1"
    assert "in-place" in change.reason
    assert "version" not in _payload(change)


def test_in_place_versioning_first_apply_has_no_version() -> None:
    change = _only(
        _plan(V1.model_copy(update={"versioning": "in-place"}), LiveState(), StoredState(workspace=WS))
    )
    assert change.action is Action.CREATE
    assert "version" not in _payload(change)


def test_labelled_assistant_missing_from_state_is_adopted_not_created() -> None:
    live = live_assistant(V1, "asst_7", version=1)
    change = _only(_plan(V1, LiveState(assistants={live.id: live}), StoredState(workspace=WS)))
    assert change.action is Action.NOOP
    assert change.adopt is True
    assert change.platform_id == "asst_7"
    assert _payload(change)["version"] == {
        "number": 1,
        "parent": None,
        "strategy": "immutable",
        "record": True,
    }


def test_adoption_prefers_the_copy_with_the_desired_behaviour() -> None:
    old = live_assistant(assistant(instructions="Old."), "asst_1", version=1)
    same = live_assistant(V1, "asst_2", version=2)
    change = _only(_plan(V1, LiveState(assistants={old.id: old, same.id: same}), StoredState(workspace=WS)))
    assert change.adopt is True
    assert change.platform_id == "asst_2"
    assert _payload(change)["version"]["number"] == 2


def test_adopted_assistant_with_a_different_description_is_updated() -> None:
    live = live_assistant(V1, "asst_7", version=1)
    change = _only(
        _plan(
            V1.model_copy(update={"description": "new"}),
            LiveState(assistants={live.id: live}),
            StoredState(workspace=WS),
        )
    )
    assert change.action is Action.UPDATE
    assert change.adopt is True
    assert [c.path for c in change.changes] == ["description"]


def test_unlabelled_assistant_with_the_same_name_is_never_adopted() -> None:
    stranger = live_assistant(V1, "asst_9", managed=False)
    change = _only(_plan(V1, LiveState(assistants={stranger.id: stranger}), StoredState(workspace=WS)))
    assert change.action is Action.CREATE
    assert change.adopt is False


def test_version_already_recorded_is_not_adopted_again() -> None:
    """A labelled object the versions table already knows is not an orphan to adopt."""
    live, stored = _applied_v1_v2()
    assert labels.is_managed(live.assistants["asst_1"].metadata)
    change = _only(_plan(V2.model_copy(update={"accept_breaking": "x"}), live, stored))
    assert change.action is Action.NOOP
    assert change.platform_id == "asst_2"
    assert change.adopt is False


def test_stable_object_deleted_out_of_band_says_so() -> None:
    _, stored = _applied_v1()
    change = _only(_plan(V1, LiveState(), stored))
    assert change.action is Action.CREATE
    assert _payload(change)["version"] == {
        "number": 2,
        "parent": 1,
        "strategy": "immutable",
    }
    assert "gone" in change.reason


def test_removed_assistant_deletes_every_version() -> None:
    live, stored = _applied_v1_v2()
    other = assistant(name="Other")
    other_live = live_assistant(other, "asst_5", version=1)
    stored = stored.model_copy(update={"inventory": (*stored.inventory, assistant_record(other_live))})
    live = LiveState(assistants={**live.assistants, other_live.id: other_live})
    plan = plan_for(DesiredState(assistants={"Other": other}), live, stored)
    delete = plan.by_address()[ResourceKey.parse(f"Assistant/{NAME}")]
    assert delete.action is Action.DELETE
    assert delete.platform_id == "asst_2"
    assert _payload(delete)["versions"] == ["asst_1"]
    assert delete.reason == "removed from the manifests"


def test_in_place_assistant_missing_from_state_is_adopted_not_created() -> None:
    desired = V1.model_copy(update={"versioning": "in-place"})
    live = live_assistant(desired, "asst_7")
    change = _only(_plan(desired, LiveState(assistants={live.id: live}), StoredState(workspace=WS)))
    assert change.adopt is True
    assert change.platform_id == "asst_7"
    assert change.action is not Action.CREATE


def test_a_destroyed_assistant_deployed_again_gets_a_new_number() -> None:
    """Every version of a destroyed assistant is flagged deleted; their numbers are never given again."""
    stored = StoredState(
        workspace=WS,
        versions=(
            version(V1, 1, "asst_1").model_copy(update={"deleted": True}),
            version(V2, 2, "asst_2", parent=1).model_copy(update={"deleted": True}),
        ),
    )
    change = _only(_plan(V1, LiveState(), stored))
    assert change.action is Action.CREATE
    assert _payload(change)["version"] == {
        "number": 3,
        "parent": None,
        "strategy": "immutable",
    }


def test_a_new_version_created_but_never_recorded_is_adopted_not_created_twice() -> None:
    """An apply killed between creating version 2 and recording it: the next plan takes that object."""
    live, stored = _applied_v1()
    accepted = V2.model_copy(update={"accept_breaking": "needs a room"})
    orphan = live_assistant(accepted, "asst_2", version=2)
    live = LiveState(assistants={**live.assistants, orphan.id: orphan})
    change = _only(_plan(accepted, live, stored))
    assert change.adopt is True
    assert change.platform_id == "asst_2"
    assert _payload(change)["version"] == {
        "number": 2,
        "parent": 1,
        "strategy": "immutable",
        "record": True,
    }
    assert _payload(change)["verdict"]["satisfied"] is False  # the policy is still judged


def test_a_labelled_object_of_another_behaviour_is_not_taken_for_the_new_version() -> None:
    live, stored = _applied_v1()
    other = live_assistant(assistant(instructions="Something else."), "asst_3", version=2)
    live = LiveState(assistants={**live.assistants, other.id: other})
    change = _only(_plan(V2.model_copy(update={"accept_breaking": "x"}), live, stored))
    assert change.action is Action.CREATE and change.adopt is False


def test_another_owners_labelled_assistant_is_never_adopted() -> None:
    theirs = live_assistant(V1, "asst_8", version=1)
    theirs = theirs.model_copy(update={"metadata": {**theirs.metadata, labels.OWNER: "other/local"}})
    change = _only(_plan(V1, LiveState(assistants={theirs.id: theirs}), StoredState(workspace=WS)))
    assert change.action is Action.CREATE and change.adopt is False


def _legacy(live: Any) -> Any:
    """`live` as a reconciler before owner labels left it: managed-by and name, no owner."""
    legacy = {k: v for k, v in live.metadata.items() if k != labels.OWNER}
    return live.model_copy(update={"metadata": legacy})


def test_an_assistant_labelled_without_an_owner_is_created_and_the_plan_warns() -> None:
    """Upgraded from a reconciler without owner labels and the state lost: the old objects are not ours
    to adopt (a hand label looks the same), but the plan must not create the twin silently."""
    old_v1 = _legacy(live_assistant(V1, "asst_1", version=1))
    old_v2 = _legacy(live_assistant(V2, "asst_2", version=2))
    plan = _plan(V1, LiveState(assistants={old_v1.id: old_v1, old_v2.id: old_v2}), StoredState(workspace=WS))
    change = _only(plan)
    assert change.action is Action.CREATE and change.adopt is False
    (warning,) = plan.warnings
    assert warning.startswith(f"Assistant/{NAME}: asst_1, asst_2 are labelled reconciler/name {NAME}")
    assert "no owner" in warning and "not adopted" in warning
    assert "`reconcile import assistant ID`" in warning


def test_one_in_place_assistant_labelled_without_an_owner_names_its_import_command() -> None:
    desired = V1.model_copy(update={"versioning": "in-place"})
    old = _legacy(live_assistant(V1, "asst_5"))
    plan = _plan(desired, LiveState(assistants={old.id: old}), StoredState(workspace=WS))
    assert _only(plan).action is Action.CREATE
    assert plan.warnings == (
        f"Assistant/{NAME}: asst_5 is labelled reconciler/name {NAME} by an earlier reconciler (or by "
        "hand) but names no owner, so it is not adopted; if it is this project's, adopt it with "
        "`reconcile import assistant asst_5`",
    )


def test_no_warning_for_unlabelled_or_other_owners_or_recorded_assistants() -> None:
    stranger = live_assistant(V1, "asst_9", managed=False)
    theirs = live_assistant(V1, "asst_8", version=1)
    theirs = theirs.model_copy(update={"metadata": {**theirs.metadata, labels.OWNER: "other/local"}})
    others = LiveState(assistants={stranger.id: stranger, theirs.id: theirs})
    plan = _plan(V1, others, StoredState(workspace=WS))
    assert _only(plan).action is Action.CREATE and plan.warnings == ()
    # A new version beside a legacy object the state records: that one is ours, nothing to say.
    live, stored = _applied_v1()
    legacy = {i: _legacy(a) for i, a in live.assistants.items()}
    plan = _plan(V2.model_copy(update={"accept_breaking": "x"}), LiveState(assistants=legacy), stored)
    assert plan.warnings == ()
