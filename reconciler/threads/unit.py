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

from reconciler.model import labels
from reconciler.model.moves import ActiveRuns, ConversationMove, ItemStatus, MigrationRecord, MigrationStatus
from reconciler.store.base import StateStore
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

MIGRATED_FROM = f"{labels.RESERVED_PREFIX}migrated-from"
MIGRATED_TO = f"{labels.RESERVED_PREFIX}migrated-to"
RUN_WAIT_SECONDS = 300.0  # --active-runs wait: how long a thread's run may take to end before the item fails
CANCEL_WAIT_SECONDS = 60.0


class CopyOps(Protocol):
    """The Responses-era platform calls a copy needs (`targets.conversations.ConversationOps`)."""

    def read_items(self, conversation: str) -> list[dict[str, Any]]: ...

    def count_items(self, conversation: str) -> int: ...

    def metadata(self, conversation: str) -> dict[str, str] | None: ...

    def create(self, *, metadata: dict[str, str], items: Sequence[dict[str, Any]]) -> str: ...

    def append_all(self, conversation: str, items: Sequence[dict[str, Any]], *, already: int) -> None: ...

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


class Outcome(StrEnum):
    MOVED = "moved"
    FAILED = "failed"
    SKIPPED = "skipped"
    ALREADY = "already"  # another run of the unit finished it (no longer pending)
    CANCELLED = "cancelled"  # the migration was cancelled before this conversation started


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

    def run(self, conversation: str, steps: Steps = direct_steps) -> Outcome:
        record = steps("status", lambda: self.store.migration(self.migration.id))
        if record is None or record.status is MigrationStatus.CANCELLED:
            return Outcome.CANCELLED
        item = self.store.migration_item(self.migration.id, conversation)
        if item is None or item.status is not ItemStatus.PENDING:
            return Outcome.ALREADY
        earlier = self.store.conversation_move(
            self.migration.workspace, self.migration.assistant, conversation
        )
        if earlier is not None and earlier.to_version >= self.migration.to_version:
            return self._settle(
                conversation,
                ItemStatus.SKIPPED,
                f"already moved to version {earlier.to_version} by migration {earlier.migration_id}",
            )
        if self.migration.options.flavour == "assistants-v2":
            return self._move_thread(conversation, item.from_version, steps)
        return self._copy(conversation, item.from_version, steps)

    # -- Responses era -----------------------------------------------------------------------------
    def _copy(self, conversation: str, from_version: int, steps: Steps) -> Outcome:
        ops = self.copies
        if ops is None:
            raise TypeError("a Responses-era migration needs the platform's conversation calls")
        plan = self.upcasts.get(from_version)
        if plan is None:
            return self._settle(
                conversation, ItemStatus.FAILED, f"no upcast plan from version {from_version}"
            )
        old = steps("read", lambda: _read_or_none(ops, conversation))
        if old is None:
            return self._settle(
                conversation, ItemStatus.SKIPPED, "the conversation is gone from the platform"
            )
        try:
            items = transform_items(conversation, old, plan)
        except ItemUpcastError as error:
            return self._settle(conversation, ItemStatus.FAILED, str(error))
        copy_labels = {
            MIGRATED_FROM: conversation,
            labels.NAME: self.migration.assistant,
            labels.VERSION: str(self.migration.to_version),
            labels.OWNER: self.owner,
        }
        copy = steps("create", lambda: ops.create(metadata=copy_labels, items=items[:20]))
        steps("append", lambda: ops.append_all(copy, items, already=ops.count_items(copy)))
        moved_at = self.wall_clock()
        move = ConversationMove(
            workspace=self.migration.workspace,
            assistant=self.migration.assistant,
            conversation=conversation,
            to_version=self.migration.to_version,
            new_conversation=copy,
            from_version=from_version,
            migration_id=self.migration.id,
            moved_at=moved_at,
        )
        after = self.migration.options.delete_after_seconds
        delete_after = None if after is None else moved_at + after
        won = steps(
            "record", lambda: self.store.finish_item(move, items=len(items), delete_after=delete_after)
        )
        if not won:
            return Outcome.ALREADY
        steps("label", lambda: ops.label(conversation, {MIGRATED_TO: copy}))
        return Outcome.MOVED

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
        move = ConversationMove(
            workspace=self.migration.workspace,
            assistant=self.migration.assistant,
            conversation=thread,
            to_version=self.migration.to_version,
            new_conversation=thread,
            from_version=from_version,
            migration_id=self.migration.id,
            moved_at=self.wall_clock(),
        )
        won = steps("record", lambda: self.store.finish_item(move, items=0, delete_after=None))
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
    if ops.metadata(conversation) is None:
        return None
    return ops.read_items(conversation)
