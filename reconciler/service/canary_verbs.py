"""A rollout for operators, as Argo Rollouts' kubectl plugin has it: `status`, and the verbs `promote`
(`--full`), `abort`, `retry`, `pause` and `resume`. Each verb is one atomic move of the rollout in the
store (`store.transitions`), recorded with user, host, time and reason; none calls the platform or loads
the manifests (`open_release_state`), so an abort works while the platform or the branch is broken.
Routers in other processes learn of a move from the store's watch (`runtime`), in this process at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from reconciler.errors import UserError
from reconciler.model.rollouts import (
    AnalysisPhase,
    AnalysisRun,
    RolloutRecord,
    RolloutStatus,
)
from reconciler.model.stored import RolloutView
from reconciler.rollout import canary, events
from reconciler.rollout.pointers import known_versions
from reconciler.service.rollouts import ReleaseState
from reconciler.store import transitions
from reconciler.store.identity import whoami
from reconciler.store.transitions import Transition

__all__ = ["NoRollout", "Verb", "act", "latest_aborted", "rollout_status"]

Verb = Literal["promote", "abort", "retry", "pause", "resume"]


class NoRollout(UserError):
    """The assistant has no rollout the verb could act on."""


def rollout_status(state: ReleaseState, name: str) -> RolloutView:
    """The assistant's active rollout, or else its latest one."""
    store, ws = state.store, state.workspace
    record = _latest(state, name)
    return RolloutView(
        workspace=ws,
        record=record,
        events=store.rollout_events(ws, record.id),
        runs=store.analysis_runs(ws, record.id),
        # Every pin, migrated ones included: status shows where the rollout assigned conversations (the
        # canary's share); which of them still need a version is gc's and the plan's question (live_only).
        conversations=store.conversation_counts(ws, name),
        pointers=store.pointers(ws, name),
        stop=store.stops(ws).get(name),
    )


def latest_aborted(state: ReleaseState, name: str) -> RolloutRecord | None:
    """NAME's latest rollout when it ended aborted; None when it did not, or NAME never had one."""
    try:
        record = _latest(state, name)
    except NoRollout:
        return None
    return record if record.status is RolloutStatus.ABORTED else None


def act(
    state: ReleaseState,
    name: str,
    verb: Verb,
    *,
    reason: str = "",
    full: bool = False,
    clock: Callable[[], float] = time.time,
) -> RolloutRecord:
    """Make one operator's move on NAME's rollout, as this user, now; returns the rollout as saved."""
    now = clock()
    record = _latest(state, name) if verb == "retry" else _active(state, name, verb)
    move: Transition
    if verb == "promote":
        move = canary.promote(record, now, full=full, reason=reason)
    elif verb == "abort":
        move = canary.abort(record, reason or "aborted by an operator")
    elif verb == "retry":
        move = canary.retry(record, now, reason)
    elif verb == "pause":
        move = canary.pause(record, reason)
    else:
        move = canary.resume(record, now, reason)
    who = whoami()
    with state.store.transaction():
        saved = transitions.commit(state.store, state.workspace, move, user=who.user, host=who.host, now=now)
        if verb in ("retry", "resume"):
            _restart_background(state, saved, now)
    events.notify(state.workspace, name)
    return saved


def _restart_background(state: ReleaseState, record: RolloutRecord, now: float) -> None:
    """A retried or resumed rollout judges afresh: background analysis that ended (failed or
    inconclusive) starts a new run, or it would abort or pause the rollout again at once."""
    if record.analysis is None:
        return
    runs = {r.step_index: r for r in state.store.analysis_runs(state.workspace, record.id)}
    old = runs.get(canary.BACKGROUND)
    if old is not None and old.phase is not AnalysisPhase.RUNNING:
        fresh = AnalysisRun(
            rollout_id=record.id,
            step_index=canary.BACKGROUND,
            templates=record.analysis.templates,
            args=record.analysis.args,
            started_at=now,
        )
        state.store.save_analysis_run(state.workspace, fresh)


def _active(state: ReleaseState, name: str, verb: str) -> RolloutRecord:
    record = state.store.active_rollout(state.workspace, name)
    if record is None:
        latest = _latest(state, name)
        raise NoRollout(
            f"{name} has no rollout in progress in {state.workspace} to {verb} (the latest, of version "
            f"{latest.canary_version}, {latest.status.value})"
        )
    return record


def _latest(state: ReleaseState, name: str) -> RolloutRecord:
    found = state.store.rollouts(state.workspace, name)
    if found:
        active = [r for r in found if r.status in (RolloutStatus.PROGRESSING, RolloutStatus.PAUSED)]
        return active[-1] if active else found[-1]
    known_versions(state.store, state.workspace, name)  # a typo must not read as "no rollout"
    raise NoRollout(
        f"{name} has had no rollout in {state.workspace}: a version applied with `rollout: "
        "{strategy: canary}` over a stable one starts one"
    )
