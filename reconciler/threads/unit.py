"""One conversation migrated: the unit of work a migration is made of, written so that running it again
after a crash anywhere does no harm (kopf's persisted progress, per conversation).

Responses era: read the old conversation's items, upcast the `function_call` arguments (`threads.upcast`,
every result validated under the target version's schema), create the copy with its first 20 items,
append the rest 20 at a time, record the move (the item done, the move, the copy's pin, the old pin
marked moved: one store transaction), label the old conversation. Assistants v2: wait for or cancel the
thread's active runs, label the thread with the target version, move its pin.

Each platform step goes through `Steps` (the durable engine checkpoints them, so a rerun skips a step that
finished). Where a rerun may repeat a step whose checkpoint was lost, the step itself resumes: the append
counts what the copy already holds and sends only the rest. The one step that cannot resume is the copy's
create (the platform cannot list conversations): a crash after the platform made the copy and before the
checkpoint leaves that copy unrecorded, labelled `reconciler/migrated-from` and never served.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from reconciler.errors import NotFound, TemporaryPlatformError
from reconciler.model import labels
from reconciler.model.moves import ActiveRuns, ConversationMove, ItemStatus, MigrationRecord, MigrationStatus
from reconciler.store.base import StateStore
from reconciler.threads.follow import share_now
from reconciler.threads.transform import ItemUpcastError, UpcastPlan, transform_items

__all__ = [
    "CopyOps",
    "MoveOps",
    "Outcome",
    "Steps",
    "Unit",
    "direct_steps",
]

T = TypeVar("T")

APPEND_ATTEMPTS = 4  # the append resumes from what the copy holds, so it is safe to try again
CREATE_ITEMS = 20  # the platform takes at most 20 items with a new conversation, and 20 per append
RUN_WAIT_SECONDS = 300.0  # --active-runs wait: how long a thread's run may take to end before the item fails
CANCEL_WAIT_SECONDS = 60.0


class CopyOps(Protocol):
    """The Responses-era platform calls a copy needs (`targets.conversations.ConversationOps`)."""

    def read_items(self, conversation: str) -> list[dict[str, Any]]: ...

    def count_items(self, conversation: str) -> int: ...

    def metadata(self, conversation: str) -> dict[str, str] | None: ...

    def create(self, *, metadata: dict[str, str], items: Sequence[dict[str, Any]]) -> str: ...

    def append_all(self, conversation: str, items: Sequence[dict[str, Any]], *, already: int) -> int: ...

    def label(self, conversation: str, labels: dict[str, str]) -> bool: ...

    def delete(self, conversation: str) -> bool: ...


class MoveOps(Protocol):
    """The Assistants-v2 platform calls a thread's move needs (`targets.conversations.ThreadOps`)."""

    def active_runs(self, thread: str) -> list[tuple[str, str]]: ...

    def cancel_run(self, thread: str, run_id: str) -> None: ...

    def wait_runs(
        self, thread: str, *, timeout_seconds: float, poll_seconds: float
    ) -> list[tuple[str, str]]: ...

    def metadata(self, thread: str) -> dict[str, str] | None: ...

    def label(self, thread: str, labels: dict[str, str]) -> bool: ...


class Steps(Protocol):
    """Runs one named step of the unit; the durable engine records its result, so a rerun of the unit
    gets the recorded result instead of running the step again."""

    def __call__(self, name: str, fn: Callable[[], T]) -> T: ...


def direct_steps(name: str, fn: Callable[[], T]) -> T:
    """Steps run as plain calls: for tests and `migrate plan`."""
    del name
    return fn()


_GO, _CANCELLED, _SKIPPED, _ALREADY, _RELABEL = "go", "cancelled", "skipped", "already", "relabel"
_DEFERRED = "deferred"


class Outcome(StrEnum):
    MOVED = "moved"
    FAILED = "failed"
    SKIPPED = "skipped"
    ALREADY = "already"  # another run of the unit finished it (no longer pending)
    CANCELLED = "cancelled"  # the migration was cancelled before this conversation started
    DEFERRED = "deferred"  # following a rollout whose canary no longer takes this conversation


@dataclass
class Unit:
    """What every conversation of one migration shares: the store, the record, the platform calls and, per
    version the conversations come from, the upcast plan to the target version."""

    store: StateStore
    migration: MigrationRecord
    owner: str  # our owner label's value: the copies are ours
    upcasts: Mapping[int, UpcastPlan] = field(default_factory=dict)
    copies: CopyOps | None = None
    moves: MoveOps | None = None
    wall_clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def run(self, conversation: str, steps: Steps = direct_steps) -> Outcome:
        # Everything that decides which steps follow is read inside a step, so a recovered run replays
        # the same decision and asks the engine for the same steps in the same order. The old
        # conversation is read in that step too: one checkpoint fewer per conversation, and the copy is
        # made from one snapshot even if the application adds a turn to the original meanwhile.
        decision, from_version, copy, old = steps("start", lambda: self._start(conversation))
        if decision == _CANCELLED:
            return Outcome.CANCELLED
        if decision == _SKIPPED:
            return Outcome.SKIPPED
        if decision == _DEFERRED:
            return Outcome.DEFERRED
        if decision == _RELABEL and self.copies is not None:
            # Recorded, but the process may have died before labelling the original: label it again (a
            # label already there sends nothing).
            ops = self.copies
            steps("label", lambda: _label_if_there(ops, conversation, {labels.MIGRATED_TO: copy}))
        if decision != _GO:
            return Outcome.ALREADY
        if self.migration.options.flavour == "assistants-v2":
            return self._move_thread(conversation, from_version, steps)
        return self._copy(conversation, from_version, old, steps)

    def _start(self, conversation: str) -> tuple[str, int, str, list[dict[str, Any]] | None]:
        """(decision, the version the conversation is on, its recorded copy, its items when it is to be
        copied: None when it is gone from the platform)."""
        record = self.store.migration(self.migration.id)
        if record is None or record.status is MigrationStatus.CANCELLED:
            return _CANCELLED, 0, "", None
        item = self.store.migration_item(self.migration.id, conversation)
        if item is None:
            return _ALREADY, 0, "", None
        if item.status is not ItemStatus.PENDING:
            copy = item.new_conversation or ""
            relabel = item.status is ItemStatus.DONE and copy and copy != conversation
            return (_RELABEL if relabel else _ALREADY), item.from_version, copy, None
        earlier = self.store.conversation_move(
            self.migration.workspace, self.migration.assistant, conversation
        )
        if earlier is not None and earlier.to_version >= self.migration.to_version:
            why = f"already moved to version {earlier.to_version} by migration {earlier.migration_id}"
            self._settle(conversation, ItemStatus.SKIPPED, why)
            return _SKIPPED, item.from_version, "", None
        if self.migration.options.follow_rollout:
            share = share_now(
                self.store, self.migration.workspace, self.migration.assistant, self.migration.to_version,
                follow=True,
            )  # fmt: skip
            if not share.admits(conversation):  # the rollout was aborted meanwhile: stays where it is
                return _DEFERRED, item.from_version, "", None
        old = None if self.copies is None else _read_or_none(self.copies, conversation)
        return _GO, item.from_version, "", old

    def _move(self, conversation: str, copy: str, from_version: int) -> ConversationMove:
        return ConversationMove(
            workspace=self.migration.workspace,
            assistant=self.migration.assistant,
            conversation=conversation,
            to_version=self.migration.to_version,
            new_conversation=copy,
            from_version=from_version,
            migration_id=self.migration.id,
            moved_at=self.wall_clock(),
        )

    def _record(self, move: ConversationMove, *, items: int, delete_after: float | None) -> bool:
        """Record the move; True also when this unit recorded it before a crash lost the step's result."""
        if self.store.finish_item(move, items=items, delete_after=delete_after):
            return True
        item = self.store.migration_item(move.migration_id, move.conversation)
        return (
            item is not None
            and item.status is ItemStatus.DONE
            and item.new_conversation == move.new_conversation
        )

    # -- Responses era -----------------------------------------------------------------------------
    def _copy(
        self, conversation: str, from_version: int, old: list[dict[str, Any]] | None, steps: Steps
    ) -> Outcome:
        ops = self.copies
        if ops is None:
            raise TypeError("a Responses-era migration needs the platform's conversation calls")
        plan = self.upcasts.get(from_version)
        if plan is None:
            return self._settle(
                conversation, ItemStatus.FAILED, f"no upcast plan from version {from_version}"
            )
        if old is None:
            return self._settle(
                conversation, ItemStatus.SKIPPED, "the conversation is gone from the platform"
            )
        try:
            items = transform_items(conversation, old, plan)
        except ItemUpcastError as error:
            return self._settle(conversation, ItemStatus.FAILED, str(error))
        copy_labels = {
            labels.MIGRATED_FROM: conversation,
            labels.NAME: self.migration.assistant,
            labels.VERSION: str(self.migration.to_version),
            labels.OWNER: self.owner,
        }
        copy = steps("create", lambda: ops.create(metadata=copy_labels, items=items[:CREATE_ITEMS]))
        if len(items) > CREATE_ITEMS:
            steps("append", lambda: self._append(ops, copy, items))
        move = self._move(conversation, copy, from_version)
        after = self.migration.options.delete_after_seconds
        delete_after = None if after is None else move.moved_at + after
        won = steps("finish", lambda: self._finish(ops, move, items=len(items), delete_after=delete_after))
        return Outcome.MOVED if won else Outcome.ALREADY

    def _finish(
        self, ops: CopyOps, move: ConversationMove, *, items: int, delete_after: float | None
    ) -> bool:
        """Record the move, then label the original with its copy (a replay after a crash between the two
        finds the move its own and labels)."""
        won = self._record(move, items=items, delete_after=delete_after)
        if won:
            _label_if_there(ops, move.conversation, {labels.MIGRATED_TO: move.new_conversation})
        return won

    def _append(self, ops: CopyOps, copy: str, items: Sequence[dict[str, Any]]) -> int:
        """Everything after the first `CREATE_ITEMS`, 20 a request. A lost response (5xx, reset) may or may
        not have added its items, so each attempt first counts what the copy holds and sends the rest."""
        for attempt in range(APPEND_ATTEMPTS):
            try:
                return ops.append_all(copy, items, already=ops.count_items(copy))
            except TemporaryPlatformError:
                if attempt == APPEND_ATTEMPTS - 1:
                    raise
                self.sleep(min(2.0**attempt, 10.0))
        raise AssertionError("unreachable")

    # -- Assistants v2 -----------------------------------------------------------------------------
    def _move_thread(self, thread: str, from_version: int, steps: Steps) -> Outcome:
        ops = self.moves
        if ops is None:
            raise TypeError("an Assistants-v2 migration needs the platform's thread calls")
        if steps("exists", lambda: ops.metadata(thread)) is None:
            return self._settle(thread, ItemStatus.SKIPPED, "the thread is gone from the platform")
        still = steps("runs", lambda: self._settle_runs(ops, thread))
        if still:
            runs = ", ".join(f"{run} ({status})" for run, status in still)
            return self._settle(thread, ItemStatus.FAILED, f"runs still active: {runs}")
        steps("label", lambda: ops.label(thread, {labels.VERSION: str(self.migration.to_version)}))
        move = self._move(thread, thread, from_version)  # a thread moves in place: it is its own copy
        won = steps("record", lambda: self._record(move, items=0, delete_after=None))
        return Outcome.MOVED if won else Outcome.ALREADY

    def _settle_runs(self, ops: MoveOps, thread: str) -> list[tuple[str, str]]:
        active = ops.active_runs(thread)
        if not active:
            return []
        if self.migration.options.active_runs is ActiveRuns.CANCEL:
            for run, status in active:
                if status != "cancelling":
                    ops.cancel_run(thread, run)
            return ops.wait_runs(thread, timeout_seconds=CANCEL_WAIT_SECONDS, poll_seconds=0.5)
        return ops.wait_runs(thread, timeout_seconds=RUN_WAIT_SECONDS, poll_seconds=1.0)

    def _settle(self, conversation: str, status: ItemStatus, error: str) -> Outcome:
        settled = self.store.settle_item(
            self.migration.id, conversation, status, error=error, now=self.wall_clock()
        )
        if not settled:
            return Outcome.ALREADY
        return Outcome.FAILED if status is ItemStatus.FAILED else Outcome.SKIPPED


def _read_or_none(ops: CopyOps, conversation: str) -> list[dict[str, Any]] | None:
    try:
        return ops.read_items(conversation)
    except NotFound:
        return None


def _label_if_there(ops: CopyOps, conversation: str, extra: dict[str, str]) -> bool:
    """Label the original with its copy; False when it no longer exists or the label does not fit beside
    the user's own metadata (the move is recorded in the store either way)."""
    try:
        return ops.label(conversation, extra)
    except NotFound:
        return False
