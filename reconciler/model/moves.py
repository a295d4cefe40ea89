"""Conversation migrations as data: a migration run (`reconcile conversations migrate run NAME --to N`), each
conversation it covers (the unit of work), and the move of one conversation to its copy that the runtime
follows.

Pure data shared by store (which persists it), threads (which plans and runs migrations), service and
render. Time is epoch seconds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ActiveRuns",
    "ConversationMove",
    "ItemStatus",
    "MigrationItem",
    "MigrationOptions",
    "MigrationProgress",
    "MigrationRecord",
    "MigrationStatus",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MigrationStatus(StrEnum):
    RUNNING = "running"
    CANCELLED = "cancelled"  # `migrate cancel`: no new conversation starts; those done stay moved
    DONE = "done"  # every item done, failed or skipped

    @property
    def finished(self) -> bool:
        return self is not MigrationStatus.RUNNING


class ItemStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # an upcast gave an invalid object, or the platform refused for good: `error` says
    SKIPPED = "skipped"  # nothing to move (the conversation is gone, or already on the target version)


class ActiveRuns(StrEnum):
    """What to do with an Assistants-v2 thread's run that is queued, in progress or waiting for tool
    outputs: wait for it to end (bounded), or cancel it."""

    WAIT = "wait"
    CANCEL = "cancel"


class MigrationOptions(_Frozen):
    delete_after_seconds: float | None = None  # delete the old conversation this long after its copy
    active_runs: ActiveRuns = ActiveRuns.WAIT
    follow_rollout: bool = False  # move only the share of conversations the canary's weight gives it
    flavour: Literal["responses", "assistants-v2"] = "responses"


class MigrationRecord(_Frozen):
    id: str
    workspace: str
    assistant: str
    to_version: int
    options: MigrationOptions = Field(default_factory=MigrationOptions)
    status: MigrationStatus
    total: int
    created_at: float
    updated_at: float
    by_user: str
    by_host: str
    message: str = ""


class MigrationItem(_Frozen):
    migration_id: str
    conversation: str
    from_version: int
    status: ItemStatus
    new_conversation: str | None = None  # the copy (Responses era); None on Assistants v2 (same thread)
    items: int = 0  # items copied
    error: str = ""
    updated_at: float
    delete_after: float | None = None
    deleted_at: float | None = None


class MigrationProgress(_Frozen):
    """How far a migration is: counts by item status, from any machine sharing the store."""

    migration: MigrationRecord
    counts: dict[ItemStatus, int]

    @property
    def finished_items(self) -> int:
        return sum(n for status, n in self.counts.items() if status is not ItemStatus.PENDING)


class ConversationMove(_Frozen):
    """`conversation` of `assistant` was migrated to `to_version`: its copy is `new_conversation` (the same id
    on Assistants v2, where a thread moves in place)."""

    workspace: str
    assistant: str
    conversation: str
    to_version: int
    new_conversation: str
    from_version: int
    migration_id: str
    moved_at: float
