"""A conversation migration read and stopped from any machine that shares the state store: `status`
(counts by state, the rate over the last minute, ETA, the first failures) and `cancel`. Both need only
the store, not the platform or its API key."""

from __future__ import annotations

import time

from reconciler.errors import UserError
from reconciler.model.moves import ItemStatus, MigrationRecord, MigrationStatus
from reconciler.store.base import StateStore
from reconciler.store.identity import whoami
from reconciler.threads.reports import StatusReport

__all__ = ["NoMigration", "cancel_migration", "migration_status", "running_migrations"]

RATE_WINDOW_SECONDS = 60.0


class NoMigration(UserError):
    """The assistant has no conversation migration the command could act on."""


def running_migrations(store: StateStore, workspace: str, assistant: str) -> list[MigrationRecord]:
    return [m for m in store.migrations(workspace, assistant) if m.status is MigrationStatus.RUNNING]


def migration_status(
    store: StateStore, workspace: str, assistant: str, *, migration_id: str | None = None, waiting: str = ""
) -> StatusReport:
    """The migration (the assistant's latest with conversations to move, unless `migration_id`) and how
    far it is."""
    if migration_id is None:
        found = store.migrations(workspace, assistant)
        if not found:
            raise NoMigration(f"{assistant} has no conversation migration in {workspace}")
        migration_id = found[-1].id
    progress = store.migration_progress(migration_id)
    now = time.time()
    recent = store.items_settled_since(migration_id, since=now - RATE_WINDOW_SECONDS)
    window = max(1.0, min(RATE_WINDOW_SECONDS, now - progress.migration.created_at))
    per_second = recent / window
    left = progress.counts[ItemStatus.PENDING]
    eta = left / per_second if per_second > 0 and left else None
    failed = store.migration_items(migration_id, status=ItemStatus.FAILED, limit=5)
    return StatusReport(
        progress=progress,
        per_second=per_second,
        eta_seconds=eta,
        failures=tuple((i.conversation, i.error) for i in failed),
        waiting=waiting,
    )


def cancel_migration(
    store: StateStore, workspace: str, assistant: str, *, reason: str = ""
) -> MigrationRecord:
    """Stop the assistant's running migration: no conversation starts after this commits (each checks
    first); those moved stay moved, those running finish their conversation."""
    running = running_migrations(store, workspace, assistant)
    if not running:
        raise NoMigration(f"{assistant} has no running conversation migration in {workspace}")
    record = running[-1]
    who = whoami()
    message = f"cancelled by {who.user}@{who.host}" + (f": {reason}" if reason else "")
    store.set_migration_status(record.id, MigrationStatus.CANCELLED, now=time.time(), message=message)
    found = store.migration(record.id)
    assert found is not None
    return found
