"""The canary controller's rules, pure: given a rollout as recorded (and its analysis runs and smoke
results, which the caller gathers), what happens next - a move to write (`store.transitions`), a wait, or
smoke checks to run. Operators' verbs (promote, abort, retry, pause, resume) are moves too.

The rules, as Argo Rollouts has them: a `weight` step sets the canary's share of new conversations and
the next step starts at once; a `pause` waits its time (or, `indefinite`, for `promote`); an `analysis`
step waits for its run to succeed (next step), fail (abort) or end inconclusive (pause); a `smoke` step
runs its checks before the next step (a failure aborts); background analysis runs beside the steps from
its `startingStep` and aborts or pauses the same way. After the last step stable moves to the canary
version and the rollout succeeds. The canary pointer names the canary version while the rollout is
active; abort and promotion clear it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRef,
    AnalysisRun,
    CanaryStep,
    RolloutRecord,
    RolloutStatus,
)
from reconciler.store.transitions import Transition, aborting, start, supersede

__all__ = [
    "BACKGROUND",
    "InvalidMove",
    "NeedSmoke",
    "Next",
    "SmokeOutcome",
    "Wait",
    "abort",
    "describe_step",
    "next_move",
    "pause",
    "promote",
    "relevant_run",
    "resume",
    "retry",
    "start",
    "supersede",
    "wanted_analysis",
]

BACKGROUND = -1  # the step index of background analysis runs


class InvalidMove(UserError):
    """An operator's verb that does not apply to the rollout as it is (e.g. resume a running one)."""


@dataclass(frozen=True)
class Wait:
    """Nothing to do before `until` (epoch seconds); None: until an operator acts (or analysis, whose
    next measurement time the caller knows)."""

    until: float | None
    why: str


@dataclass(frozen=True)
class NeedSmoke:
    """Run the smoke checks of step `step_index`, then ask again with the outcome."""

    step_index: int


@dataclass(frozen=True)
class SmokeOutcome:
    passed: bool
    summary: str  # one line: "3 checks passed" or the first failure


Next = Transition | Wait | NeedSmoke


def wanted_analysis(record: RolloutRecord) -> list[tuple[int, AnalysisRef]]:
    """The analysis runs that must be advanced before `next_move` is asked: the current step's, and the
    background analysis once its starting step is reached."""
    wanted: list[tuple[int, AnalysisRef]] = []
    if not record.status.active:
        return wanted
    if record.analysis is not None and record.step_index >= record.analysis.starting_step:
        wanted.append((BACKGROUND, record.analysis))
    step = _current(record)
    if step is not None and step.analysis is not None and record.status is RolloutStatus.PROGRESSING:
        wanted.append((record.step_index, step.analysis))
    return wanted


def relevant_run(
    record: RolloutRecord, runs: Mapping[int, AnalysisRun], step_index: int
) -> AnalysisRun | None:
    """The run of `step_index` that belongs to the step as it is now: one started before the step (re)
    started (a retry, a resume after an inconclusive run) is history, not this step's."""
    run = runs.get(step_index)
    if run is None:
        return None
    if step_index != BACKGROUND and run.started_at < record.step_started_at:
        return None
    return run


def next_move(
    record: RolloutRecord,
    now: float,
    runs: Mapping[int, AnalysisRun],
    smoke: SmokeOutcome | None = None,
) -> Next:
    """What happens next. `runs` are the rollout's analysis runs by step (advanced to `now` by the
    caller); `smoke` the outcome of the current step's checks when they were just run."""
    if not record.status.active:
        return Wait(None, f"rollout {record.status.value}")
    started = record.analysis is not None and record.step_index >= record.analysis.starting_step
    background = runs.get(BACKGROUND) if started else None
    if background is not None:
        if background.phase is AnalysisPhase.FAILED:
            return abort(record, f"background analysis failed: {background.message}", by_controller=True)
        if background.phase is AnalysisPhase.INCONCLUSIVE and record.status is RolloutStatus.PROGRESSING:
            return _pause(record, f"background analysis inconclusive: {background.message}", "inconclusive")
    if record.status is RolloutStatus.PAUSED:
        return Wait(None, record.message or "paused")
    index = record.step_index
    step = _current(record)
    if step is None:
        return _promoted(record, "all steps done")
    kind = step.kind
    if kind == "weight":
        assert step.weight is not None
        return _advance(
            record, now, "weight", f"step {index + 1}: canary at {step.weight} %", weight=step.weight
        )
    if kind == "pause":
        if step.pause_indefinitely:
            return Wait(None, f"step {index + 1}: paused until promoted")
        assert step.pause_seconds is not None
        until = record.step_started_at + step.pause_seconds
        if now < until:
            return Wait(until, f"step {index + 1}: pause of {step.pause_seconds} s")
        return _advance(record, now, "step", f"step {index + 1}: pause of {step.pause_seconds} s ended")
    if kind == "smoke":
        if smoke is None:
            return NeedSmoke(index)
        if not smoke.passed:
            return abort(
                record, f"step {index + 1}: smoke checks failed: {smoke.summary}", by_controller=True
            )
        return _advance(record, now, "step", f"step {index + 1}: {smoke.summary}")
    run = relevant_run(record, runs, index)
    if run is None or run.phase is AnalysisPhase.RUNNING:
        return Wait(None, f"step {index + 1}: analysis running")
    if run.phase is AnalysisPhase.SUCCESSFUL:
        return _advance(record, now, "step", f"step {index + 1}: analysis {', '.join(run.templates)} passed")
    if run.phase is AnalysisPhase.FAILED:
        return abort(record, f"step {index + 1}: analysis failed: {run.message}", by_controller=True)
    return _pause(record, f"step {index + 1}: analysis inconclusive: {run.message}", "inconclusive")


# -- operators' verbs ---------------------------------------------------------------------------------


def promote(record: RolloutRecord, now: float, *, full: bool, reason: str = "") -> Transition:
    """Skip the current step (a pause, analysis or smoke step; a paused rollout resumes past it), or with
    `full` every remaining step: stable moves to the canary now."""
    _need_active(record, "promote")
    if full or record.step_index >= len(record.steps):
        return _promoted(record, reason or "promoted by an operator", action="promoted")
    base = record.model_copy(update={"status": RolloutStatus.PROGRESSING, "message": ""})
    what = describe_step(record.steps[record.step_index])
    return _advance(base, now, "promoted-step", reason or f"step {record.step_index + 1} ({what}) skipped")


def abort(record: RolloutRecord, reason: str, *, by_controller: bool = False) -> Transition:
    """New conversations go to stable; the canary's stay pinned (`onAbort: keep`) or move to stable."""
    _need_active(record, "abort")
    return aborting(record, reason)


def retry(record: RolloutRecord, now: float, reason: str = "") -> Transition:
    """An aborted rollout starts again from its first step (its analysis runs start afresh)."""
    if record.status is not RolloutStatus.ABORTED:
        raise InvalidMove(f"only an aborted rollout can be retried; this one is {record.status.value}")
    updated = record.model_copy(
        update={
            "status": RolloutStatus.PROGRESSING,
            "step_index": 0,
            "weight": 0,
            "message": "",
            "step_started_at": now,
        }
    )
    return Transition(
        updated, "retried", reason, expect_revision=record.revision, canary_to=record.canary_version
    )


def pause(record: RolloutRecord, reason: str = "") -> Transition:
    if record.status is not RolloutStatus.PROGRESSING:
        raise InvalidMove(f"only a progressing rollout can be paused; this one is {record.status.value}")
    return _pause(record, f"paused by an operator{': ' + reason if reason else ''}", "paused", reason)


def resume(record: RolloutRecord, now: float, reason: str = "") -> Transition:
    """A paused rollout goes on; the current step starts again (its analysis afresh, its pause anew)."""
    if record.status is not RolloutStatus.PAUSED:
        raise InvalidMove(f"only a paused rollout can be resumed; this one is {record.status.value}")
    updated = record.model_copy(
        update={"status": RolloutStatus.PROGRESSING, "message": "", "step_started_at": now}
    )
    return Transition(updated, "resumed", reason, expect_revision=record.revision)


def describe_step(step: CanaryStep) -> str:
    return step.describe()


# -- helpers ------------------------------------------------------------------------------------------


def _current(record: RolloutRecord) -> CanaryStep | None:
    return record.steps[record.step_index] if record.step_index < len(record.steps) else None


def _advance(
    record: RolloutRecord, now: float, action: str, reason: str, *, weight: int | None = None
) -> Transition:
    update: dict[str, object] = {"step_index": record.step_index + 1, "step_started_at": now}
    if weight is not None:
        update["weight"] = weight
    return Transition(record.model_copy(update=update), action, reason, expect_revision=record.revision)


def _promoted(record: RolloutRecord, reason: str, action: str = "succeeded") -> Transition:
    updated = record.model_copy(
        update={
            "status": RolloutStatus.SUCCEEDED,
            "step_index": len(record.steps),
            "weight": 100,
            "message": reason,
        }
    )
    return Transition(
        updated, action, reason, expect_revision=record.revision, promote=True, clear_canary=True
    )


def _pause(record: RolloutRecord, message: str, action: str, reason: str = "") -> Transition:
    updated = record.model_copy(update={"status": RolloutStatus.PAUSED, "message": message})
    return Transition(updated, action, reason or message, expect_revision=record.revision)


def _need_active(record: RolloutRecord, verb: str) -> None:
    if not record.status.active:
        raise InvalidMove(
            f"cannot {verb}: the rollout of version {record.canary_version} is {record.status.value}"
        )
