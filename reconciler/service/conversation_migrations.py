"""`reconcile conversations migrate`: move an assistant's conversations to a newer version when its tools'
schemas drifted, for library users and the CLI alike.

`plan_migration` is the dry run (counts per version, a sample of upcast items, every failure; nothing is
written). `start_migration` records a migration and its conversations (or finds the one already running
to the same version: a rerun resumes it). `run_migration` works its queue in this process on the durable
engine (`threads.engine`) until every conversation is settled; `serve_worker` works the queue of every
migration of the workspace until told to stop, on other machines sharing a PostgreSQL state.
`migration_status` and `cancel_migration` read and write only the store, from any machine.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.calls.rate import RateGate
from reconciler.errors import UserError
from reconciler.model.moves import (
    ItemStatus,
    MigrationOptions,
    MigrationRecord,
    MigrationStatus,
)
from reconciler.service.migration_units import UnitFactory, platform_ops, rate_gate
from reconciler.service.workspace import Workspace, state_dsn
from reconciler.store.identity import whoami
from reconciler.threads.engine import DEFAULT_CONCURRENCY, Engine, EngineSettings, system_database_url
from reconciler.threads.reports import RunResult, StatusReport

__all__ = [
    "MigrationRequest",
    "NoMigration",
    "RunResult",
    "StatusReport",
    "cancel_migration",
    "migration_status",
    "run_migration",
    "serve_worker",
    "start_migration",
]

RATE_WINDOW_SECONDS = 60.0
DELETE_BATCH = 200


class NoMigration(UserError):
    """The assistant has no conversation migration the command could act on."""


@dataclass(frozen=True)
class MigrationRequest:
    assistant: str
    to_version: int
    options: MigrationOptions = field(default_factory=MigrationOptions)
    include_idle: bool = False  # also conversations not seen within the retention


def covered_conversations(ws: Workspace, request: MigrationRequest) -> tuple[tuple[str, int], ...]:
    """(conversation, version) the migration covers: pinned to another version of the assistant, not
    moved already, and seen within the retention unless `include_idle`."""
    versions = ws.store.versions(ws.name, request.assistant)
    if not any(v.number == request.to_version and not v.deleted for v in versions):
        known = ", ".join(str(v.number) for v in versions if not v.deleted) or "none"
        raise UserError(
            f"{request.assistant} has no version {request.to_version} to migrate to (versions: {known})"
        )
    others = [v.number for v in versions if v.number != request.to_version]
    since = None if request.include_idle else time.time() - ws.project.config.conversations.retention_seconds
    return ws.store.pinned_conversations(ws.name, request.assistant, versions=others, seen_since=since)


def start_migration(ws: Workspace, request: MigrationRequest) -> MigrationRecord:
    """The migration running to `request.to_version` (a rerun resumes it), or a new one recorded with
    every conversation it covers. Refused while another migration of the assistant runs."""
    flavour = "responses" if ws.target_config.api == "responses" else "assistants-v2"
    running = [
        m for m in ws.store.migrations(ws.name, request.assistant) if m.status is MigrationStatus.RUNNING
    ]
    for record in running:
        if record.to_version == request.to_version:
            return record
        raise UserError(
            f"{request.assistant} has a migration to version {record.to_version} running ({record.id}); "
            f"finish it or `reconcile conversations migrate cancel {request.assistant}` first"
        )
    conversations = covered_conversations(ws, request)
    # No upcaster path from a version some conversation is on: refused before anything is written.
    UnitFactory(ws, gate=None).check_paths(
        request.assistant, request.to_version, {v for _, v in conversations}
    )
    now, who = time.time(), whoami()
    record = MigrationRecord(
        id=f"mig_{uuid.uuid4().hex[:16]}",
        workspace=ws.name,
        assistant=request.assistant,
        to_version=request.to_version,
        options=request.options.model_copy(update={"flavour": flavour}),
        status=MigrationStatus.RUNNING,
        total=len(conversations),
        created_at=now,
        updated_at=now,
        by_user=who.user,
        by_host=who.host,
    )
    ws.store.start_migration(record, conversations)
    return record


def engine_settings(ws: Workspace, *, worker_id: str | None, concurrency: int) -> EngineSettings:
    return EngineSettings(
        system_database_url=system_database_url(state_dsn(ws.project.config)),
        executor_id=worker_id or whoami().host,
        concurrency=concurrency,
    )


def run_migration(
    ws: Workspace,
    record: MigrationRecord,
    *,
    worker_id: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Callable[[StatusReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    poll_seconds: float = 0.5,
) -> RunResult:
    """Work the migration's queue in this process until every conversation is settled (or the migration
    is cancelled, or `should_stop`). Conversations whose workflow ended in a platform error stay pending
    and are named; a rerun resumes them."""
    gate = rate_gate(ws)
    factory = UnitFactory(ws, gate=gate)
    with Engine(engine_settings(ws, worker_id=worker_id, concurrency=concurrency), factory.unit) as engine:
        pending = [i.conversation for i in ws.store.migration_items(record.id, status=ItemStatus.PENDING)]
        engine.enqueue(record.id, pending)
        while True:
            report = migration_status(ws, record.assistant, migration_id=record.id)
            if on_progress is not None:
                on_progress(report)
            left = report.progress.counts[ItemStatus.PENDING]
            current = report.progress.migration.status
            if current is MigrationStatus.CANCELLED or should_stop():
                break
            if left == 0 or current is not MigrationStatus.RUNNING:
                # Every conversation is settled in the store, but the workflows in this process's hands
                # may still be labelling the last originals (`finish` records the move first): let them
                # end, or those labels wait for this worker id's next run.
                if engine.in_hand(record.id) == 0:
                    break
            elif engine.counts(record.id).queued == 0:
                break  # what is left ended in errors: named below, resumed by a rerun
            time.sleep(poll_seconds)
        errors = tuple(engine.errors(record.id))
    sweep_deletions(ws, gate)
    final = _finish_if_settled(ws, record.id)
    return RunResult(
        status=migration_status(ws, final.assistant, migration_id=final.id), workflow_errors=errors
    )


def serve_worker(
    ws: Workspace,
    *,
    worker_id: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Callable[[StatusReport], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    poll_seconds: float = 2.0,
) -> None:
    """Work the queue of every migration of this workspace (any machine's `migrate run` enqueues) until
    `should_stop`; finished migrations are marked done as their last conversation settles."""
    gate = rate_gate(ws)
    factory = UnitFactory(ws, gate=gate)
    with Engine(engine_settings(ws, worker_id=worker_id, concurrency=concurrency), factory.unit):
        while not should_stop():
            for record in ws.store.migrations(ws.name):
                if record.status is MigrationStatus.RUNNING:
                    report = migration_status(ws, record.assistant, migration_id=record.id)
                    if report.progress.counts[ItemStatus.PENDING] == 0:
                        _finish_if_settled(ws, record.id)
                    elif on_progress is not None:
                        on_progress(report)
            sweep_deletions(ws, gate)
            time.sleep(poll_seconds)


def migration_status(ws: Workspace, assistant: str, *, migration_id: str | None = None) -> StatusReport:
    """The migration (the assistant's latest unless `migration_id`) and how far it is."""
    if migration_id is None:
        found = ws.store.migrations(ws.name, assistant)
        if not found:
            raise NoMigration(f"{assistant} has no conversation migration in {ws.name}")
        migration_id = found[-1].id
    progress = ws.store.migration_progress(migration_id)
    now = time.time()
    recent = ws.store.items_settled_since(migration_id, since=now - RATE_WINDOW_SECONDS)
    started = progress.migration.created_at
    window = max(1.0, min(RATE_WINDOW_SECONDS, now - started))
    per_second = recent / window
    left = progress.counts[ItemStatus.PENDING]
    eta = left / per_second if per_second > 0 and left else None
    failed = ws.store.migration_items(migration_id, status=ItemStatus.FAILED, limit=5)
    return StatusReport(
        progress=progress,
        per_second=per_second,
        eta_seconds=eta,
        failures=tuple((i.conversation, i.error) for i in failed),
    )


def cancel_migration(ws: Workspace, assistant: str, *, reason: str = "") -> MigrationRecord:
    """Stop the assistant's running migration: no conversation starts after this commits (each checks
    first); those moved stay moved, those running finish their conversation."""
    running = [m for m in ws.store.migrations(ws.name, assistant) if m.status is MigrationStatus.RUNNING]
    if not running:
        raise NoMigration(f"{assistant} has no running conversation migration in {ws.name}")
    record = running[-1]
    who = whoami()
    message = f"cancelled by {who.user}@{who.host}" + (f": {reason}" if reason else "")
    ws.store.set_migration_status(record.id, MigrationStatus.CANCELLED, now=time.time(), message=message)
    found = ws.store.migration(record.id)
    assert found is not None
    return found


def sweep_deletions(ws: Workspace, gate: RateGate | None) -> int:
    """Delete old conversations whose `--delete-after` has passed (copies are served instead); only
    conversations this store moved are ever deleted. Returns how many."""
    due = ws.store.items_due_for_deletion(ws.name, now=time.time(), limit=DELETE_BATCH)
    if not due:
        return 0
    copies, _ = platform_ops(ws, gate)
    if copies is None:
        return 0
    for item in due:
        copies.delete(item.conversation)
        ws.store.mark_deleted(item.migration_id, item.conversation, now=time.time())
    return len(due)


def _finish_if_settled(ws: Workspace, migration_id: str) -> MigrationRecord:
    progress = ws.store.migration_progress(migration_id)
    if progress.counts[ItemStatus.PENDING] == 0 and progress.migration.status is MigrationStatus.RUNNING:
        counts = progress.counts
        message = (
            f"{counts[ItemStatus.DONE]} moved, {counts[ItemStatus.FAILED]} failed, "
            f"{counts[ItemStatus.SKIPPED]} skipped"
        )
        ws.store.set_migration_status(migration_id, MigrationStatus.DONE, now=time.time(), message=message)
    found = ws.store.migration(migration_id)
    assert found is not None
    return found
