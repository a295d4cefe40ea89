"""The canary controller's rules (rollout.canary), pure: steps, analysis outcomes, smoke, verbs."""

from __future__ import annotations

import pytest

from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRef,
    AnalysisRun,
    BackgroundAnalysis,
    CanaryStep,
    Rollout,
    RolloutRecord,
    RolloutStatus,
    SmokeCheck,
)
from reconciler.rollout import canary
from reconciler.rollout.canary import BACKGROUND, InvalidMove, NeedSmoke, SmokeOutcome, Wait
from reconciler.store.transitions import Transition

SMOKE = CanaryStep(smoke=(SmokeCheck(name="books", turns=("hi",)),))
HEALTH = CanaryStep(analysis=AnalysisRef(templates=("tool-health",)))
STEPS = (
    SMOKE,
    CanaryStep(weight=10),
    HEALTH,
    CanaryStep(weight=50),
    CanaryStep(pause_seconds=60),
    CanaryStep(weight=100),
)


def started(steps: tuple[CanaryStep, ...] = STEPS, **rollout: object) -> RolloutRecord:
    move = canary.start(
        "Bot",
        "r1",
        stable=1,
        canary=2,
        rollout=Rollout(strategy="canary", steps=steps, **rollout),
        on_abort="stable",
        now=100.0,
    )
    assert move.canary_to == 2 and move.expect_revision is None and move.record.weight == 0
    return move.record.model_copy(update={"revision": 1})


def saved(move: object) -> RolloutRecord:
    assert isinstance(move, Transition)
    return move.record.model_copy(update={"revision": move.record.revision + 1})


def run(step: int, phase: AnalysisPhase, at: float, message: str = "") -> AnalysisRun:
    return AnalysisRun(
        rollout_id="r1",
        step_index=step,
        templates=("tool-health",),
        phase=phase,
        started_at=at,
        message=message,
    )


def test_a_good_canary_walks_every_step_and_promotes() -> None:
    record = started()
    assert canary.next_move(record, 100.0, {}) == NeedSmoke(0)
    record = saved(canary.next_move(record, 100.0, {}, SmokeOutcome(True, "1 check passed")))
    weight = canary.next_move(record, 100.0, {})
    assert isinstance(weight, Transition) and weight.action == "weight" and weight.record.weight == 10
    record = saved(weight)
    assert record.step_index == 2
    running = {2: run(2, AnalysisPhase.RUNNING, 100.0)}
    assert canary.next_move(record, 130.0, running) == Wait(None, "step 3: analysis running")
    record = saved(canary.next_move(record, 160.0, {2: run(2, AnalysisPhase.SUCCESSFUL, 100.0)}))
    record = saved(canary.next_move(record, 160.0, {}))
    assert record.weight == 50 and record.step_index == 4 and record.step_started_at == 160.0
    pause = canary.next_move(record, 200.0, {})
    assert pause == Wait(220.0, "step 5: pause of 60 s")
    record = saved(canary.next_move(record, 220.0, {}))
    record = saved(canary.next_move(record, 220.0, {}))
    assert record.weight == 100
    done = canary.next_move(record, 220.0, {})
    assert isinstance(done, Transition)
    assert done.promote and done.clear_canary and done.record.status is RolloutStatus.SUCCEEDED
    assert canary.next_move(saved(done), 300.0, {}) == Wait(None, "rollout succeeded")


def test_failed_analysis_aborts_and_sends_the_canary_conversations_back_per_policy() -> None:
    record = started().model_copy(update={"step_index": 2, "weight": 10})
    move = canary.next_move(
        record, 200.0, {2: run(2, AnalysisPhase.FAILED, 100.0, "invalid_tool_call_rate: 3 failures")}
    )
    assert isinstance(move, Transition)
    assert move.record.status is RolloutStatus.ABORTED and move.record.weight == 0
    assert move.clear_canary and move.reassign and not move.promote
    assert "invalid_tool_call_rate" in move.reason


def test_keep_policy_leaves_canary_conversations_pinned() -> None:
    record = started().model_copy(update={"on_abort": "keep"})
    move = canary.abort(record, "operator")
    assert move.clear_canary and not move.reassign


def test_inconclusive_analysis_pauses_and_resume_restarts_the_step() -> None:
    record = started().model_copy(update={"step_index": 2, "weight": 10, "step_started_at": 100.0})
    paused = saved(
        canary.next_move(record, 200.0, {2: run(2, AnalysisPhase.INCONCLUSIVE, 100.0, "3 samples < 50")})
    )
    assert paused.status is RolloutStatus.PAUSED and "inconclusive" in paused.message
    assert canary.next_move(paused, 300.0, {}) == Wait(None, paused.message)
    resumed = saved(canary.resume(paused, 400.0))
    assert resumed.status is RolloutStatus.PROGRESSING and resumed.step_started_at == 400.0
    # the inconclusive run is history now: the step waits for a fresh one
    old = {2: run(2, AnalysisPhase.INCONCLUSIVE, 100.0)}
    assert canary.relevant_run(resumed, old, 2) is None
    assert canary.next_move(resumed, 400.0, old) == Wait(None, "step 3: analysis running")


def test_failed_smoke_blocks_before_any_traffic() -> None:
    move = canary.next_move(started(), 100.0, {}, SmokeOutcome(False, "books: create_meeting not called"))
    assert isinstance(move, Transition) and move.record.status is RolloutStatus.ABORTED
    assert move.record.weight == 0 and "create_meeting not called" in move.reason


def test_background_analysis_counts_from_its_starting_step() -> None:
    steps = (CanaryStep(weight=10), CanaryStep(pause_indefinitely=True), CanaryStep(weight=100))
    record = started(steps, analysis=BackgroundAnalysis(templates=("tool-health",), starting_step=1))
    assert canary.wanted_analysis(record) == []
    record = saved(canary.next_move(record, 100.0, {}))
    assert [i for i, _ in canary.wanted_analysis(record)] == [BACKGROUND]
    failed = {BACKGROUND: run(BACKGROUND, AnalysisPhase.FAILED, 100.0, "error_rate")}
    move = canary.next_move(record, 150.0, failed)
    assert isinstance(move, Transition) and move.record.status is RolloutStatus.ABORTED


def test_indefinite_pause_waits_for_promote_which_skips_one_step() -> None:
    steps = (CanaryStep(weight=10), CanaryStep(pause_indefinitely=True), CanaryStep(weight=100))
    record = saved(canary.next_move(started(steps), 100.0, {}))
    assert canary.next_move(record, 10_000.0, {}) == Wait(None, "step 2: paused until promoted")
    record = saved(canary.promote(record, 10_000.0, full=False))
    assert record.step_index == 2 and record.status is RolloutStatus.PROGRESSING


def test_full_promote_moves_stable_now() -> None:
    move = canary.promote(started(), 100.0, full=True, reason="hotfix")
    assert move.promote and move.record.status is RolloutStatus.SUCCEEDED and move.reason == "hotfix"


def test_retry_starts_an_aborted_rollout_from_its_first_step() -> None:
    aborted = saved(canary.abort(started().model_copy(update={"step_index": 3, "weight": 50}), "bad"))
    move = canary.retry(aborted, 500.0)
    assert move.record.status is RolloutStatus.PROGRESSING and move.record.step_index == 0
    assert move.canary_to == 2 and move.record.step_started_at == 500.0


@pytest.mark.parametrize(
    ("verb", "status"),
    [
        (lambda r: canary.resume(r, 1.0), RolloutStatus.PROGRESSING),
        (canary.pause, RolloutStatus.PAUSED),
        (lambda r: canary.retry(r, 1.0), RolloutStatus.PROGRESSING),
        (lambda r: canary.abort(r, "x"), RolloutStatus.SUCCEEDED),
        (lambda r: canary.promote(r, 1.0, full=True), RolloutStatus.ABORTED),
    ],
)
def test_verbs_that_do_not_apply_say_so(verb: object, status: RolloutStatus) -> None:
    record = started().model_copy(update={"status": status})
    with pytest.raises(InvalidMove):
        verb(record)  # type: ignore[operator]


def test_every_move_names_the_revision_it_read() -> None:
    record = started().model_copy(update={"revision": 7})
    for move in (canary.pause(record), canary.abort(record, "x"), canary.promote(record, 1.0, full=True)):
        assert move.expect_revision == 7


def test_describe_step() -> None:
    assert [canary.describe_step(s) for s in STEPS] == [
        "smoke (1 check)",
        "weight 10 %",
        "analysis tool-health",
        "weight 50 %",
        "pause 1m",
        "weight 100 %",
    ]
