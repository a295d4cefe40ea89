"""Writing down what steps did: the journal rows and inventory, version and pointer writes of a group of
steps go to the store as one batch (`StateStore.write_batch`), one transaction per group.

A group's rows are committed before any step that depends on one of its steps starts, so a crash never
leaves a dependent step's effect recorded without what it stood on. A crash between a step's platform
call and its commit replays that step, and steps are idempotent (creates look for what a previous attempt
made).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from reconciler.apply.outputs import StepOutput
from reconciler.errors import StateError
from reconciler.model.stored import Acceptance
from reconciler.plan.definition import ResourceChange
from reconciler.plan.payloads import RolloutPlan
from reconciler.store import transitions
from reconciler.store.base import StateStore
from reconciler.store.records import PointerWrite, StepStatus, StepWrite, WriteBatch

__all__ = ["Finished", "Journal"]


@dataclass(frozen=True)
class Finished:
    """One step that ended: its output, or the one-line error it failed with."""

    change: ResourceChange
    output: StepOutput | None
    error: str | None = None


@dataclass
class Journal:
    """Batched writes of one apply. `user`/`host` sign pointer moves; `pointers_changed` is told of every
    assistant whose pointers a commit moved or cleared."""

    store: StateStore
    workspace: str
    apply_id: str
    user: str
    host: str
    now: Callable[[], float]
    pointers_changed: Callable[[str, str], None] | None = None

    def started(self, steps: Sequence[tuple[ResourceChange, dict[str, object]]]) -> None:
        """The STARTED rows of a group about to run, in one transaction."""
        batch = WriteBatch(self.apply_id)
        batch.steps = [StepWrite(c.step_key, StepStatus.STARTED, d) for c, d in steps]
        self.store.write_batch(self.workspace, batch, user=self.user, host=self.host, now=self.now())

    def finished(self, group: Sequence[Finished]) -> None:
        """Inventory, versions, pointers and journal rows of a group of ended steps, atomically."""
        batch = WriteBatch(self.apply_id)
        retired: list[tuple[str, str]] = []
        rollouts: list[tuple[tuple[str, int, RolloutPlan, str], Acceptance | None]] = []
        aborts: list[tuple[str, str, str]] = []
        for done in group:
            key = done.change.step_key
            output = done.output
            if output is None:
                batch.steps.append(StepWrite(key, StepStatus.FAILED, {"error": done.error or ""}))
                continue
            batch.upserts.extend(output.upserts)
            batch.deletes.extend(output.deletes)
            if output.version is not None:
                batch.versions.append(output.version)
            if output.pointer is not None:
                assistant, number, reason = output.pointer
                batch.moves.append(PointerWrite(assistant, number, reason, accepted=output.accepted))
            if output.rollout is not None:
                rollouts.append((output.rollout, output.accepted))
            if output.abort_rollout is not None:
                aborts.append(output.abort_rollout)
            if output.destroyed is not None:
                retired.append((output.destroyed, done.change.reason))
            batch.steps.append(StepWrite(key, StepStatus.DONE, {"platform_id": output.platform_id}))
        now = self.now()
        with self.store.transaction():
            for assistant, reason in retired:
                self._retire(assistant, reason, now)
            moves = self.store.write_batch(self.workspace, batch, user=self.user, host=self.host, now=now)
            for (assistant, number, plan, reason), accepted in rollouts:
                self._start_rollout(assistant, number, plan, reason, now, accepted)
            for assistant, rollout_id, reason in aborts:
                self._abort_rollout(assistant, rollout_id, reason, now)
        if self.pointers_changed is not None:
            changed = (
                [m.assistant for m in moves]
                + [a for a, _ in retired]
                + [r[0][0] for r in rollouts]
                + [a[0] for a in aborts]
            )
            for assistant in dict.fromkeys(changed):
                self.pointers_changed(self.workspace, assistant)

    def _start_rollout(
        self,
        assistant: str,
        number: int,
        plan: RolloutPlan,
        reason: str,
        now: float,
        accepted: Acceptance | None,
    ) -> None:
        """Name the new version in the `canary` pointer and start its rollout; `stable` stays. A rollout
        the plan did not see (started since) makes the plan stale rather than being silently replaced."""
        active = self.store.active_rollout(self.workspace, assistant)
        if active is not None and active.canary_version == number:
            return  # already rolling out (a replayed step)
        if (active.id if active else None) != plan.supersedes:
            seen = f"rollout {plan.supersedes[:8]}" if plan.supersedes else "no rollout"
            now_active = f"rollout {active.id[:8]}" if active else "none"
            raise StateError(
                f"{assistant}: the plan saw {seen} in progress, the store has {now_active}; plan again"
            )
        moves = [transitions.supersede(active, number)] if active is not None else []
        move = transitions.start(
            assistant,
            uuid.uuid4().hex,
            stable=plan.stable,
            canary=number,
            rollout=plan.rollout,
            on_abort=plan.on_abort,
            now=now,
            reason=reason,
            templates=plan.templates,
            accepted=accepted,
        )
        for step in [*moves, move]:
            transitions.commit(self.store, self.workspace, step, user=self.user, host=self.host, now=now)

    def _abort_rollout(self, assistant: str, rollout_id: str, reason: str, now: float) -> None:
        """The rollout the plan saw ends (a replayed step finds it ended already, and leaves it)."""
        active = self.store.active_rollout(self.workspace, assistant)
        if active is None or active.id != rollout_id:
            return
        move = transitions.aborting(active, reason)
        transitions.commit(self.store, self.workspace, move, user=self.user, host=self.host, now=now)

    def _retire(self, assistant: str, reason: str, now: float) -> None:
        active = self.store.active_rollout(self.workspace, assistant)
        if active is not None:  # its versions are gone: the rollout ends with them (no pins to move)
            move = transitions.aborting(active, f"destroyed: {reason}")
            move = replace(move, reassign=False)
            transitions.commit(self.store, self.workspace, move, user=self.user, host=self.host, now=now)
        self._clear(assistant, reason, now)

    def _clear(self, assistant: str, reason: str, now: float) -> None:
        """A destroyed assistant serves nothing: clear its pointers (the history says who, where, why)
        and flag its versions deleted, since their platform objects went with it."""
        self.store.clear_pointers(
            self.workspace, assistant, user=self.user, host=self.host, reason=f"destroyed: {reason}", now=now
        )
        for version in self.store.versions(self.workspace, assistant):
            if not version.deleted:
                self.store.mark_version_deleted(self.workspace, assistant, version.number)
