"""The part of the `StateStore` seam that conversation migrations need (`store.migration_tables`,
`store.rate_tables`): a migration and its items, the moves the runtime follows, and the shared request
budget its workers keep. Every backend implements it; `StateStore` includes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reconciler.model.moves import (
    ConversationMove,
    ItemStatus,
    MigrationItem,
    MigrationProgress,
    MigrationRecord,
    MigrationStatus,
)

__all__ = ["MigrationStore"]


class MigrationStore(Protocol):
    def take_rate_slot(self, budget: str, *, interval: float, burst: float, now: float) -> float:
        """Reserve the next request of the shared budget `budget` (GCRA: one request every `interval`
        seconds, up to `burst` seconds' worth at once) and return the seconds to wait before sending it.
        Atomic across processes; a crashed caller holds nothing."""
        ...

    def delay_budget(self, budget: str, *, until: float, now: float) -> None:
        """No request of `budget` starts before `until` (a 429's Retry-After), in any process."""
        ...

    # -- conversation migrations (model.moves) -------------------------------------------------------
    def start_migration(self, record: MigrationRecord, conversations: Sequence[tuple[str, int]]) -> None:
        """Record a migration and its items ((conversation, from version), all pending) in one transaction."""
        ...

    def migration(self, migration_id: str) -> MigrationRecord | None: ...

    def migrations(self, workspace: str, assistant: str | None = None) -> tuple[MigrationRecord, ...]:
        """The workspace's migrations (of one assistant), oldest first."""
        ...

    def set_migration_status(
        self, migration_id: str, status: MigrationStatus, *, now: float, message: str = ""
    ) -> bool:
        """Finish a running migration (done or cancelled); False when it had already finished."""
        ...

    def migration_progress(self, migration_id: str) -> MigrationProgress:
        """The migration and how many of its items are in each status."""
        ...

    def migration_items(
        self, migration_id: str, *, status: ItemStatus | None = None, limit: int | None = None
    ) -> tuple[MigrationItem, ...]: ...

    def items_settled_since(self, migration_id: str, *, since: float) -> int:
        """How many of the migration's items were settled (done, failed, skipped) at or after `since`."""
        ...

    def migration_item(self, migration_id: str, conversation: str) -> MigrationItem | None: ...

    def finish_item(self, move: ConversationMove, *, items: int, delete_after: float | None) -> bool:
        """One transaction: the item done, the move recorded, the copy pinned to the target version and
        the old pin marked moved (a thread's own pin moved, on Assistants v2). False, writing nothing,
        when the item was no longer pending (another worker finished it first)."""
        ...

    def settle_item(
        self, migration_id: str, conversation: str, status: ItemStatus, *, error: str, now: float
    ) -> bool:
        """A pending item failed or was skipped; False when it was no longer pending."""
        ...

    def items_due_for_deletion(
        self, workspace: str, *, now: float, limit: int
    ) -> tuple[MigrationItem, ...]: ...

    def mark_deleted(self, migration_id: str, conversation: str, *, now: float) -> None: ...

    def conversation_moves(self, workspace: str, migration_id: str) -> tuple[ConversationMove, ...]: ...

    def pinned_conversations(
        self, workspace: str, assistant: str, *, versions: Sequence[int], seen_since: float | None
    ) -> tuple[tuple[str, int], ...]:
        """(conversation, version) pinned to one of `versions`, not moved, seen at or after `seen_since`."""
        ...
