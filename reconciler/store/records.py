"""Records the store hands out that the planner never sees: state leases and the apply journal.

The planner's inputs (inventory, versions, pointer moves) live in `reconciler.model.stored`; these types
serve the executor (journal, resume) and the CLI (`reconcile state unlock ID`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from reconciler.errors import StateError
from reconciler.model.desired import ResourceKey
from reconciler.model.stored import Acceptance, InventoryRecord, VersionRecord


class RevisionConflict(StateError):
    """A rollout changed since it was read (another controller or an operator moved it): read again."""


class StepStatus(StrEnum):
    """Where one step of an apply got to; `started` without `done` after a crash means "look first"."""

    PENDING = "pending"
    STARTED = "started"
    DONE = "done"
    FAILED = "failed"


class ApplyStatus(StrEnum):
    """An apply is `running` until finished; a `running` apply nobody is executing is a crashed one."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class StepRecord:
    """The latest state of one journal step. `attempts` counts how often the step was `started`."""

    step_key: str
    status: StepStatus
    detail: dict[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0
    attempts: int = 0


@dataclass(frozen=True)
class ApplyRecord:
    """One apply's journal: which plan it executes, how it ended (if it did), and every step recorded."""

    apply_id: str
    workspace: str
    plan_id: str
    status: ApplyStatus
    started_at: float
    finished_at: float | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status is not ApplyStatus.RUNNING


@dataclass(frozen=True)
class Lease:
    """The state lock of one workspace, held until `expires_at` unless renewed.

    `lock_id` is what `reconcile state unlock ID` takes; renewing or releasing needs the same id, so an
    apply whose lease expired and was taken over can never release the new holder's lock. `pid` and
    `process_start` name the holding process (`store.holder`), so a rerun on the same host can tell
    that it is gone; a lease an older reconciler wrote has neither.
    """

    workspace: str
    lock_id: str
    owner: str
    host: str
    acquired_at: float
    expires_at: float
    ttl_seconds: float
    pid: int | None = None
    process_start: str = ""

    @property
    def holder(self) -> str:
        return f"{self.owner}@{self.host}"

    def expired(self, now: float) -> bool:
        return self.expires_at <= now

    def describe(self) -> str:
        """One line naming the holder, the lock id and the expiry, for messages."""
        expiry = datetime.fromtimestamp(self.expires_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        process = f"pid {self.pid}, " if self.pid is not None else ""
        return f"{self.holder} ({process}lock id {self.lock_id}, expires {expiry})"


@dataclass(frozen=True)
class StepWrite:
    """One journal row a batch writes: where step `step_key` got to, with its detail."""

    step_key: str
    status: StepStatus
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PointerWrite:
    """Move `pointer` of `assistant` to `to_version` unless it is there already; history records why."""

    assistant: str
    to_version: int
    reason: str
    pointer: str = "stable"
    accepted: Acceptance | None = None


@dataclass
class WriteBatch:
    """What a group of finished (or starting) apply steps writes, in one transaction.

    The steps of one batch are independent of each other (none waits for another), so no two of them
    touch the same row: the store writes each list with one statement, in the order of the fields.
    Versions already recorded are left as they are; pointers already where a move puts them do not move.
    """

    apply_id: str
    steps: list[StepWrite] = field(default_factory=list)
    upserts: list[InventoryRecord] = field(default_factory=list)
    deletes: list[ResourceKey] = field(default_factory=list)
    versions: list[VersionRecord] = field(default_factory=list)
    moves: list[PointerWrite] = field(default_factory=list)
