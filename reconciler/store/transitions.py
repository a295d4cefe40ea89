"""One move of a canary rollout, written atomically: the rollout's record and history row (compare and
swap on its revision), the `canary` and `stable` pointer moves it implies, and, on an abort with
`onAbort: stable`, the conversations pinned to the canary moved back to stable.

Apply (starting, superseding or reverting a rollout) and the rollout controller (every later move) both
write through `commit`, so a move is never half made: a crash leaves the rollout where it was, and a
rerun makes the same move again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.model.rollouts import (
    AnalysisTemplate,
    OnAbort,
    Rollout,
    RolloutEvent,
    RolloutRecord,
    RolloutStatus,
)
from reconciler.model.stored import Acceptance
from reconciler.store.base import StateStore

__all__ = ["CANARY", "STABLE", "Transition", "aborting", "commit", "start", "supersede"]

CANARY = "canary"
STABLE = "stable"


@dataclass(frozen=True)
class Transition:
    """`record` as it should be saved (its `revision` is the one read; None `expect_revision` makes a new
    rollout). `canary_to` moves the canary pointer there; `clear_canary` removes it; `promote` moves
    stable to the canary version; `reassign` moves the canary's conversations to stable."""

    record: RolloutRecord
    action: str
    reason: str = ""
    expect_revision: int | None = None
    canary_to: int | None = None
    clear_canary: bool = False
    promote: bool = False
    reassign: bool = False
    # The breaking change the canary ships under acceptBreaking, kept with its canary pointer move (the
    # release history is where later plans find what was accepted).
    accepted: Acceptance | None = None


def commit(
    store: StateStore, workspace: str, move: Transition, *, user: str, host: str, now: float
) -> RolloutRecord:
    """Write `move` in one transaction (joining an open one); returns the record as saved."""
    record = move.record.model_copy(update={"updated_at": now})
    event = RolloutEvent(
        rollout_id=record.id,
        assistant=record.assistant,
        action=move.action,
        at=now,
        user=user,
        host=host,
        reason=move.reason,
        step_index=record.step_index,
        weight=record.weight,
    )
    why = f"rollout {record.id[:8]}: {move.action}" + (f" ({move.reason})" if move.reason else "")
    with store.transaction():
        saved = store.save_rollout(workspace, record, event, expect_revision=move.expect_revision)
        pointers = store.pointers(workspace, record.assistant)
        if move.promote and pointers.get(STABLE) != record.canary_version:
            store.move_pointer(
                workspace,
                record.assistant,
                STABLE,
                record.canary_version,
                user=user,
                host=host,
                reason=why,
                now=now,
            )
        if move.canary_to is not None and pointers.get(CANARY) != move.canary_to:
            store.move_pointer(
                workspace,
                record.assistant,
                CANARY,
                move.canary_to,
                user=user,
                host=host,
                reason=why,
                now=now,
                accepted=move.accepted,
            )
        if move.clear_canary:
            store.clear_pointer(
                workspace, record.assistant, CANARY, user=user, host=host, reason=why, now=now
            )
        if move.reassign:
            store.reassign_conversations(
                workspace, record.assistant, record.canary_version, record.stable_version, now=now
            )
    return saved


def start(
    assistant: str,
    rollout_id: str,
    *,
    stable: int,
    canary: int,
    rollout: Rollout,
    on_abort: OnAbort,
    now: float,
    reason: str = "",
    templates: Mapping[str, AnalysisTemplate] | None = None,
    accepted: Acceptance | None = None,
) -> Transition:
    """A new rollout of `canary` over `stable`, at its first step with no traffic yet."""
    record = RolloutRecord(
        id=rollout_id,
        assistant=assistant,
        stable_version=stable,
        canary_version=canary,
        steps=rollout.steps,
        analysis=rollout.analysis,
        templates=dict(templates or {}),
        on_abort=on_abort,
        step_started_at=now,
        created_at=now,
    )
    return Transition(record, "started", reason, expect_revision=None, canary_to=canary, accepted=accepted)


def supersede(active: RolloutRecord, by_version: int) -> Transition:
    """The active rollout gives way to one of a newer version (its conversations stay pinned)."""
    record = active.model_copy(update={"status": RolloutStatus.SUPERSEDED, "weight": 0})
    return Transition(
        record, "superseded", f"version {by_version} was applied", expect_revision=active.revision
    )


def aborting(record: RolloutRecord, reason: str) -> Transition:
    """New conversations go to stable; the canary's stay pinned (`onAbort: keep`) or move to stable."""
    updated = record.model_copy(update={"status": RolloutStatus.ABORTED, "weight": 0, "message": reason})
    return Transition(
        updated,
        "aborted",
        reason,
        expect_revision=record.revision,
        clear_canary=True,
        reassign=record.on_abort == "stable",
    )
