"""Issue 12 item 10 in the planner: an `acceptBreaking` reason covers the break it was first applied with
and nothing unrelated; the same change planned again passes; the mapping form covers what it lists; a
store written before acceptances were recorded counts its versions' reasons as used."""

from __future__ import annotations

from typing import Any

from reconciler.model.desired import Assistant, BreakingFinding, DesiredState
from reconciler.model.live import LiveState
from reconciler.model.specs import assistant_spec, behaviour_fingerprint
from reconciler.model.stored import Acceptance, StoredState
from reconciler.plan.definition import Plan, ResourceChange
from tests.unit.plan.support import (
    MEETING_PARAMS,
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

REASON = "calendar needs rooms"
LOCATION = BreakingFinding(tool="create_meeting", pointer="/properties/location", rule="OBJ-06")
FLOOR = BreakingFinding(tool="create_meeting", pointer="/properties/floor", rule="OBJ-06")


def _payload(change: ResourceChange) -> dict[str, Any]:
    """The change's payload as the plan writes it."""
    return change.payload.model_dump(mode="json")


def _requiring(*props: str) -> dict[str, Any]:
    params = {**MEETING_PARAMS, "properties": dict(MEETING_PARAMS["properties"])}
    for prop in props:
        params["properties"][prop] = {"type": "string"}
    params["required"] = [*MEETING_PARAMS["required"], *props]
    return params


V1 = assistant()
V2 = assistant(functions=(meeting(with_location()),))
V3 = assistant(functions=(meeting(_requiring("location", "floor")),))


def _fp(desired: Assistant) -> str:
    return behaviour_fingerprint(assistant_spec(desired))


def _at(
    desired: Assistant, number: int, *, accepted: tuple[Acceptance, ...] = (), **verdicts: Any
) -> tuple[LiveState, StoredState]:
    """`desired` applied as version `number` (versions 1..number-1 before it, in a line), stable on it."""
    line = [V1, V2, V3][:number]
    live = live_assistant(desired, f"asst_{number}", version=number)
    versions = tuple(
        version(v, n, f"asst_{n}", parent=n - 1 or None).model_copy(
            update={"verdict": verdicts.get(f"v{n}", {})}
        )
        for n, v in enumerate(line, start=1)
    )
    return (
        LiveState(assistants={live.id: live}),
        StoredState(
            workspace=WS,
            inventory=(assistant_record(live),),
            versions=versions,
            pointers={NAME: {"stable": number}},
            acceptances=accepted,
        ),
    )


def _plan(desired: Assistant, live: LiveState, stored: StoredState) -> Plan:
    return plan_for(DesiredState(assistants={desired.name: desired}), live, stored)


def _only(plan: Plan) -> ResourceChange:
    (change,) = [c for c in plan.changes if c.kind == "Assistant"]
    return change


USED = Acceptance(
    assistant=NAME, reason=REASON, from_fingerprint=_fp(V1), to_fingerprint=_fp(V2), findings=(LOCATION,)
)


def test_a_first_use_accepts_and_carries_what_apply_records() -> None:
    live, stored = _at(V1, 1)
    plan = _plan(V2.model_copy(update={"accept_breaking": REASON}), live, stored)
    assert plan.violations() == [] and plan.acceptance_notes() == []
    verdict = _payload(_only(plan))["verdict"]
    assert verdict["accepted"] == REASON
    assert verdict["breaking"] == [LOCATION.model_dump()]
    assert Acceptance.model_validate(verdict["acceptance"]) == USED


def test_a_used_reason_does_not_cover_an_unrelated_break() -> None:
    live, stored = _at(V2, 2, accepted=(USED,))
    plan = _plan(V3.model_copy(update={"accept_breaking": REASON}), live, stored)
    (violation,) = plan.violations()
    assert "create_meeting: OBJ-06 at /properties/floor" in violation
    (note,) = plan.acceptance_notes()
    assert f'acceptBreaking "{REASON}" was already used for another change' in note
    assert "it accepted create_meeting /properties/location OBJ-06" in note
    assert "does not cover create_meeting /properties/floor OBJ-06" in note
    verdict = _payload(_only(plan))["verdict"]
    assert verdict["accepted"] is None and "acceptance" not in verdict

    # A new reason is a first use again.
    assert _plan(V3.model_copy(update={"accept_breaking": "floors too"}), live, stored).violations() == []


def test_the_same_change_planned_again_is_still_accepted() -> None:
    """After a rollback to version 1, the manifests still ask for version 2: the change the reason was
    written for."""
    live, stored = _at(V1, 1, accepted=(USED,))
    plan = _plan(V2.model_copy(update={"accept_breaking": REASON}), live, stored)
    assert plan.violations() == []


def test_the_same_findings_in_another_change_are_covered() -> None:
    later = assistant(instructions="Be thorough.", functions=(meeting(with_location()),))
    live, stored = _at(V1, 1, accepted=(USED,))
    assert _plan(later.model_copy(update={"accept_breaking": REASON}), live, stored).violations() == []


def test_the_mapping_form_accepts_exactly_what_it_lists() -> None:
    live, stored = _at(V1, 1)
    listed = V3.model_copy(update={"accept_breaking": REASON, "accept_findings": (LOCATION,)})
    plan = _plan(listed, live, stored)
    assert len(plan.violations()) == 2
    (note,) = plan.acceptance_notes()
    assert "do not include create_meeting /properties/floor OBJ-06" in note

    both = listed.model_copy(update={"accept_findings": (FLOOR, LOCATION)})
    assert _plan(both, live, stored).violations() == []
    # A listed acceptance is never spent: its findings bind it.
    live, stored = _at(V2, 2, accepted=(USED,))
    assert _plan(both, live, stored).violations() == []


def test_a_reason_recorded_only_in_an_old_version_verdict_counts_as_used() -> None:
    """Stores from before acceptances were recorded: version 2's verdict holds the reason and findings."""
    old_verdict = {
        "policy": "backward",
        "satisfied": False,
        "accepted": REASON,
        "tools": {
            "create_meeting": {
                "backward": "no",
                "forward": "no",
                "findings": [
                    {"pointer": "/properties/location", "rule": "OBJ-06", "backward": "no", "forward": "no"}
                ],
            },
        },
    }
    live, stored = _at(V2, 2, v2=old_verdict)
    plan = _plan(V3.model_copy(update={"accept_breaking": REASON}), live, stored)
    assert len(plan.violations()) == 1
    (note,) = plan.acceptance_notes()
    assert "it accepted create_meeting /properties/location OBJ-06" in note
