"""Transitive compatibility (issue 17 item 2): a new version is judged against its parent and every
version that live conversations still use; the verdict is the worst, and the payload names each version
judged with its conversation count."""

from __future__ import annotations

from reconciler.model.desired import DesiredState
from reconciler.model.live import LiveState
from reconciler.model.stored import StoredState
from reconciler.plan.definition import Plan, ResourceChange
from reconciler.plan.payloads import AssistantPayload, Verdict, VersionVerdict
from reconciler.render.text import verdict_lines
from reconciler.render.values import against_text
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
V2 = assistant(functions=(meeting(with_location()),))  # location became required: breaks v1's calls
V3 = V2.model_copy(update={"instructions": "Be briefer."})  # same tools as v2: compatible with its parent


def _state(
    live_conversations: dict[int, int], *, v1_on_platform: bool = True
) -> tuple[LiveState, StoredState]:
    v1 = live_assistant(V1, "asst_1", version=1)
    v2 = live_assistant(V2, "asst_2", version=2)
    live = {v2.id: v2, **({v1.id: v1} if v1_on_platform else {})}
    return (
        LiveState(assistants=live),
        StoredState(
            workspace=WS,
            inventory=(assistant_record(v2),),
            versions=(version(V1, 1, "asst_1"), version(V2, 2, "asst_2", parent=1)),
            pointers={NAME: {"stable": 2}},
            live_conversations={NAME: live_conversations},
        ),
    )


def _verdict(plan: Plan) -> Verdict:
    (change,) = [c for c in plan.changes if c.kind == "Assistant"]
    assert isinstance(change.payload, AssistantPayload) and change.payload.verdict is not None
    return change.payload.verdict


def _change(plan: Plan) -> ResourceChange:
    (change,) = [c for c in plan.changes if c.kind == "Assistant"]
    return change


def test_an_older_live_version_broken_makes_the_verdict_breaking_and_is_named() -> None:
    live, stored = _state({1: 312, 2: 40})
    plan = plan_for(DesiredState(assistants={NAME: V3}), live, stored)
    verdict = _verdict(plan)
    assert verdict.tools == {}  # nothing changed against the parent
    assert not verdict.satisfied and verdict.blocking
    assert verdict.against == (
        VersionVerdict(
            version=1,
            conversations=312,
            satisfied=False,
            broken={"create_meeting": ("`location` required by the new schema",)},
        ),
        VersionVerdict(version=2, conversations=40, parent=True),
    )
    (violation,) = plan.violations()
    assert violation.startswith(f"Assistant/{NAME}: tool create_meeting: OBJ-06 at /properties/location: ")
    assert "(against version 1, used by 312 live conversations) (policy: backward)" in violation
    assert [b.tool for b in verdict.breaking or ()] == ["create_meeting"]
    text = against_text(verdict)
    assert text == (
        "breaking against v1 (312 live conversations: create_meeting: `location` required by the new "
        "schema); compatible with v2 (parent, 40 live conversations)"
    )
    assert verdict_lines(_change(plan))[:2] == [
        "compatibility: violates the backward policy",
        f"  live versions: {text}",
    ]


def test_accepting_the_break_against_a_live_version_lets_the_plan_through() -> None:
    live, stored = _state({1: 3})
    accepted = V3.model_copy(update={"accept_breaking": "old threads get a location prompt"})
    plan = plan_for(DesiredState(assistants={NAME: accepted}), live, stored)
    verdict = _verdict(plan)
    assert not verdict.satisfied and verdict.accepted == "old threads get a location prompt"
    assert plan.violations() == []
    assert verdict.acceptance is not None and [f.tool for f in verdict.acceptance.findings] == [
        "create_meeting"
    ]


def test_without_live_conversations_only_the_parent_is_judged() -> None:
    for counts in ({}, {1: 0}):
        live, stored = _state(counts)
        verdict = _verdict(plan_for(DesiredState(assistants={NAME: V3}), live, stored))
        assert verdict.satisfied and verdict.against is None
        assert "against" not in verdict.model_dump(mode="json")  # the saved plan is as before


def test_a_version_off_the_platform_is_judged_from_its_recorded_tools_or_said_unjudged() -> None:
    live, stored = _state({1: 5}, v1_on_platform=False)
    verdict = _verdict(plan_for(DesiredState(assistants={NAME: V3}), live, stored))
    assert verdict.against is not None and verdict.against[0] == VersionVerdict(
        version=1, conversations=5, judged=False
    )
    assert verdict.satisfied  # nothing is known against v1: the parent decides
    assert against_text(verdict) == (
        "not judged against v1 (5 live conversations: its tools were never recorded); "
        "compatible with v2 (parent, 0 live conversations)"
    )
    recorded = version(V1, 1, "asst_1").model_copy(
        update={"tools": {"create_meeting": {"parameters": meeting().parameters, "strict": True}}}
    )
    stored = stored.model_copy(update={"versions": (recorded, *stored.versions[1:])})
    verdict = _verdict(plan_for(DesiredState(assistants={NAME: V3}), live, stored))
    assert not verdict.satisfied
    assert (
        verdict.against is not None and verdict.against[0].version == 1 and not verdict.against[0].satisfied
    )
