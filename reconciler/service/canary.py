"""The canary controller at work: `step` moves every active rollout of a workspace as far as now allows,
and `watch` steps in a loop until they end. Argo Rollouts' controller does this in-cluster; here it is a
command, so a cron job, a CI schedule or an operator's terminal can run it.

A step gathers what the pure rules (`rollout.canary`) need - analysis measurements due by now
(`rollout.analysis`, from the store's telemetry or a webhook), smoke checks run on the target
(`rollout.smoke`) - writes each resulting move atomically, and goes on while moves follow at once
(a weight step, then the next). Everything it learns is in the store before it moves on (each analysis
run after each measurement, each move with its history row), and every move is compare-and-swap on the
rollout's revision: kill a controller at any point and the next one continues from the same step,
repeating and skipping nothing; two controllers never both make one move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import AuthenticationFailed, TemporaryPlatformError
from reconciler.model.rollouts import AnalysisPhase, AnalysisRef, AnalysisRun, RolloutRecord
from reconciler.rollout import analysis, canary, events
from reconciler.rollout.canary import NeedSmoke, SmokeOutcome, Wait
from reconciler.rollout.pointers import known_versions
from reconciler.service.rollouts import ReleaseState
from reconciler.store import transitions
from reconciler.store.identity import whoami
from reconciler.store.records import RevisionConflict
from reconciler.store.transitions import Transition

if TYPE_CHECKING:
    from reconciler.service.workspace import Workspace
    from reconciler.targets.client import Transport

__all__ = ["Progress", "SmokeOnTarget", "SmokeRunner", "step_rollouts", "watch_rollouts"]

RETRY_SMOKE_SECONDS = 30.0  # a smoke step the platform could not run is tried again after this

# Runs the smoke checks of one step of a rollout on the target; the service builds it from the workspace.
SmokeRunner = Callable[[RolloutRecord, int], SmokeOutcome]


@dataclass(frozen=True)
class Progress:
    """What one step did for one rollout: the moves made (one line each), where it stopped and why, and
    when to look again (None: only an operator's move, or the end, changes it)."""

    record: RolloutRecord
    moves: tuple[str, ...]
    waiting: str
    next_at: float | None


@dataclass
class _Step:
    state: ReleaseState
    smoke: SmokeRunner | None
    now: float
    user: str
    host: str
    moves: list[str] = field(default_factory=list)


def step_rollouts(
    state: ReleaseState,
    names: Iterable[str] | None = None,
    *,
    smoke: SmokeRunner | None = None,
    clock: Callable[[], float] = time.time,
) -> list[Progress]:
    """Move every active rollout (or those of `names`) as far as now allows. Idempotent."""
    wanted = set(names) if names is not None else None
    for name in sorted(wanted or ()):
        known_versions(state.store, state.workspace, name)  # a typo must not read as "nothing to do"
    who = whoami()
    found: list[Progress] = []
    for record in state.store.rollouts(state.workspace):
        if not record.status.active or (wanted is not None and record.assistant not in wanted):
            continue
        step = _Step(state, smoke, clock(), who.user, who.host)
        found.append(_advance(step, record))
    return found


def _advance(step: _Step, record: RolloutRecord) -> Progress:
    store, ws = step.state.store, step.state.workspace
    stop = store.stops(ws).get(record.assistant)
    if stop is not None:
        # The stop button holds the rollout too: no weight, step or promotion while the assistant is
        # stopped (analysis would judge an assistant that serves nothing), until `reconcile start`.
        why = f"{record.assistant} is stopped by {stop.user}@{stop.host}" + (
            f" ({stop.reason})" if stop.reason else ""
        )
        return Progress(record, (), f"{why}: no moves until `reconcile start {record.assistant}`", None)
    outcome: SmokeOutcome | None = None
    # Each pass either moves (and the next step may move at once) or stops; a rollout has finitely many
    # steps, so this bound is never the reason to stop (it guards against a rule that would loop).
    for _ in range(2 * len(record.steps) + 4):
        runs, next_at = _analyse(step, record)
        decision = canary.next_move(record, step.now, runs, outcome)
        outcome = None
        if isinstance(decision, NeedSmoke):
            try:
                outcome = _smoke(step, record, decision)
            except (TemporaryPlatformError, AuthenticationFailed) as error:
                # Neither passed nor failed: the platform could not be asked. Ask again later.
                why = f"smoke checks could not run ({error}); trying again"
                return Progress(record, tuple(step.moves), why, step.now + RETRY_SMOKE_SECONDS)
            continue
        if isinstance(decision, Wait):
            until = decision.until if decision.until is not None else next_at
            return Progress(record, tuple(step.moves), decision.why, until)
        try:
            record = _commit(step, decision)
        except RevisionConflict:
            fresh = next((r for r in store.rollouts(ws, record.assistant) if r.id == record.id), record)
            return Progress(fresh, tuple(step.moves), "moved by another controller or an operator", step.now)
    return Progress(record, tuple(step.moves), "stopped after many moves in one step", step.now)


def _commit(step: _Step, move: Transition) -> RolloutRecord:
    saved = transitions.commit(
        step.state.store, step.state.workspace, move, user=step.user, host=step.host, now=step.now
    )
    events.notify(step.state.workspace, saved.assistant)
    step.moves.append(f"{move.action}: {move.reason}" if move.reason else move.action)
    return saved


def _smoke(step: _Step, record: RolloutRecord, need: NeedSmoke) -> SmokeOutcome:
    if step.smoke is None:
        return SmokeOutcome(
            False, "no target to run smoke checks on (the controller was started without one)"
        )
    return step.smoke(record, need.step_index)


def _analyse(step: _Step, record: RolloutRecord) -> tuple[dict[int, AnalysisRun], float | None]:
    """Advance every analysis run the rollout needs now, saving each; returns the runs by step and when
    the next measurement is due."""
    store, ws = step.state.store, step.state.workspace
    runs = {r.step_index: r for r in store.analysis_runs(ws, record.id)}
    due: list[float] = []
    for index, ref in canary.wanted_analysis(record):
        run = canary.relevant_run(record, runs, index) or _new_run(record, index, ref, step.now)
        if run.phase is AnalysisPhase.RUNNING:
            measure = analysis.measurer(store, ws, record, run)
            advanced = analysis.advance(
                run, record.templates, measure, step.now, background=index == canary.BACKGROUND
            )
            if advanced != runs.get(index):
                store.save_analysis_run(ws, advanced)
            run = advanced
        runs[index] = run
        when = analysis.next_due(run, record.templates, background=index == canary.BACKGROUND)
        if when is not None:
            due.append(when)
    return runs, min(due) if due else None


def _new_run(record: RolloutRecord, index: int, ref: AnalysisRef, now: float) -> AnalysisRun:
    return AnalysisRun(
        rollout_id=record.id, step_index=index, templates=ref.templates, args=ref.args, started_at=now
    )


def watch_rollouts(
    state: ReleaseState,
    names: Iterable[str] | None = None,
    *,
    smoke: SmokeRunner | None = None,
    report: Callable[[list[Progress]], None] = lambda _progress: None,
    timeout: float = 6 * 3600.0,
    poll_cap: float = 5.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Progress]:
    """Step until no watched rollout is active, or `timeout` seconds pass (bounded, like every loop
    here). Sleeps until the next thing is due, never longer than `poll_cap` (an operator's move or a
    new rollout is seen within it). Returns the last progress."""
    wanted = tuple(names) if names is not None else None
    deadline = clock() + timeout
    progress: list[Progress] = []
    while True:
        progress = step_rollouts(state, wanted, smoke=smoke, clock=clock)
        report(progress)
        now = clock()
        if not any(p.record.status.active for p in progress) or now >= deadline:
            return progress
        wake = min((p.next_at for p in progress if p.next_at is not None), default=now + poll_cap)
        sleep(max(0.0, min(wake - now, poll_cap, deadline - now)))


class SmokeOnTarget:
    """The controller's smoke runner: opens the project's workspace (and with it the target and its SDK)
    the first time a smoke step is due, and runs that step's checks against the canary version there.
    Close it when the controller is done."""

    def __init__(
        self, directory: Path | None, *, target: str | None = None, transport: Transport | None = None
    ):
        self._directory = directory
        self._target = target
        self._transport = transport
        self._workspace: Workspace | None = None

    def __call__(self, record: RolloutRecord, step_index: int) -> SmokeOutcome:
        from reconciler.rollout.smoke import run_smoke
        from reconciler.service.workspace import open_workspace

        if self._workspace is None:
            self._workspace = open_workspace(self._directory, target=self._target, transport=self._transport)
        ws = self._workspace
        version = next(
            (v for v in ws.store.versions(ws.name, record.assistant) if v.number == record.canary_version),
            None,
        )
        if version is None:
            return SmokeOutcome(False, f"version {record.canary_version} is not in the store")
        report = run_smoke(ws.target, version, record.steps[step_index].smoke)
        return report.outcome()

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None

    def __enter__(self) -> SmokeOnTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
