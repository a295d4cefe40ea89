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
from reconciler.rollout.pointers import known_versions
from reconciler.service.migration_status import migration_status, running_migrations
from reconciler.service.migration_units import UnitFactory, platform_ops, rate_gate
from reconciler.service.workspace import Workspace, state_dsn
from reconciler.store.identity import whoami
from reconciler.threads.engine import (
    DEFAULT_CONCURRENCY,
    Engine,
    EngineSettings,
    queue_name,
    system_database_url,
)
from reconciler.threads.follow import share_now
from reconciler.threads.reports import RunResult, StatusReport

__all__ = [
    "MigrationRequest",
    "NothingToMigrate",
    "RunResult",
    "StatusReport",
    "run_migration",
    "serve_worker",
    "start_migration",
]

# A run whose remaining conversations sit in another worker's hands gives up, naming it, after this long
# without one settled: that worker may be gone, and only its own id brings its conversations back.
STALL_SECONDS = 90.0
DELETE_BATCH = 200


class NothingToMigrate(UserError):
    """No conversation is pinned to another version: a migration would move nothing (none is recorded)."""


@dataclass(frozen=True)
class MigrationRequest:
    assistant: str
    to_version: int
    options: MigrationOptions = field(default_factory=MigrationOptions)
    include_idle: bool = False  # also conversations not seen within the retention


def covered_conversations(ws: Workspace, request: MigrationRequest) -> tuple[tuple[str, int], ...]:
    """(conversation, version) the migration covers: pinned to another version of the assistant, not
    moved already, and seen within the retention unless `include_idle`."""
    versions = known_versions(ws.store, ws.name, request.assistant)
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
    for record in running_migrations(ws.store, ws.name, request.assistant):
        if record.to_version == request.to_version:
            return record
        raise UserError(
            f"{request.assistant} has a migration to version {record.to_version} running ({record.id}); "
            f"finish it or `reconcile conversations migrate cancel {request.assistant}` first"
        )
    _refuse_skipping_a_canary(ws, request)
    conversations = covered_conversations(ws, request)
    if not conversations:
        raise NothingToMigrate(
            f"nothing to migrate: no conversation of {request.assistant} seen within conversations.retention "
            f"is pinned to a version other than {request.to_version}"
            + ("" if request.include_idle else " (--include-idle counts older ones too)")
        )
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


def _refuse_skipping_a_canary(ws: Workspace, request: MigrationRequest) -> None:
    """Moving every conversation onto a version under a canary would skip the canary's weight."""
    active = ws.store.active_rollout(ws.name, request.assistant)
    under_canary = active is not None and active.canary_version == request.to_version
    if request.options.follow_rollout:
        stable = ws.store.pointers(ws.name, request.assistant).get("stable")
        if not under_canary and stable != request.to_version:
            raise UserError(
                f"--follow-rollout: version {request.to_version} of {request.assistant} is neither the "
                "canary of an active rollout nor stable"
            )
    elif under_canary and active is not None:
        raise UserError(
            f"version {request.to_version} is the canary of {request.assistant}'s rollout at weight "
            f"{active.weight}%: moving every conversation to it now would skip the canary; add "
            "--follow-rollout (the canary's share moves, more as its weight rises) or promote it first"
        )


def engine_settings(ws: Workspace, *, worker_id: str | None, concurrency: int) -> EngineSettings:
    """The engine for this workspace. The executor id is the worker id within the project and workspace
    (default: the host name), so two projects' workers on one host never recover each other's work."""
    worker = worker_id or whoami().host
    return EngineSettings(
        system_database_url=system_database_url(state_dsn(ws.project.config)),
        executor_id=f"{worker}/{ws.project.config.project_name}/{ws.name}",
        queue=queue_name(ws.name),
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
    stall_seconds: float = STALL_SECONDS,
) -> RunResult:
    """Work the migration's queue in this process until every conversation is settled (or the migration
    is cancelled, or `should_stop`). Conversations whose workflow ended in a platform error stay pending
    and are named; a rerun tries them again. When what is left sits in another worker's hands and nothing
    moves for `stall_seconds`, the run stops and names that worker (a worker that is gone resumes only
    under its own id)."""
    gate = rate_gate(ws)
    factory = UnitFactory(ws, gate=gate)
    follow = record.options.follow_rollout
    enqueued: set[str] = set()
    watch = _Stall(stall_seconds)
    held: dict[str, int] = {}
    with Engine(engine_settings(ws, worker_id=worker_id, concurrency=concurrency), factory.unit) as engine:
        while True:
            share = share_now(ws.store, ws.name, record.assistant, record.to_version, follow=follow)
            if share.aborted:
                message = (
                    f"stopped: the rollout of version {record.to_version} ended without it: {share.aborted}"
                )
                ws.store.set_migration_status(
                    record.id, MigrationStatus.CANCELLED, now=time.time(), message=message
                )
            pending = [i.conversation for i in ws.store.migration_items(record.id, status=ItemStatus.PENDING)]
            ready = [c for c in pending if c not in enqueued and share.admits(c)]
            if ready and not share.aborted:
                engine.enqueue(record.id, ready)
                enqueued.update(ready)
            report = migration_status(
                ws.store, ws.name, record.assistant, migration_id=record.id, waiting=share.waiting
            )
            if on_progress is not None:
                on_progress(report)
            current = report.progress.migration.status
            if current is MigrationStatus.CANCELLED or should_stop():
                break
            if not pending or current is not MigrationStatus.RUNNING:
                # Every conversation is settled in the store, but the workflows in this process's hands
                # may still be labelling the last originals (`finish` records the move first): let them
                # end, or those labels wait for this worker id's next run.
                if engine.in_hand(record.id) == 0:
                    break
            elif share.everything:
                counts = engine.counts(record.id)
                if counts.queued == 0:
                    break  # what is left ended in errors: named below, tried again by a rerun
                held = engine.held_elsewhere(record.id)
                if watch.stalled(report.progress.finished_items) and held and engine.in_hand(record.id) == 0:
                    break  # in another worker's hands, and nothing moves: named below
            time.sleep(poll_seconds)
        still = {i.conversation for i in ws.store.migration_items(record.id, status=ItemStatus.PENDING)}
        errors = tuple(f"{c}: {why}" for c, why in engine.errors(record.id) if c in still)
        stalled = held if watch.tripped else {}
    if not record.options.follow_rollout or share.everything:
        sweep_deletions(ws, gate)
    final = _finish_if_settled(ws, record.id)
    return RunResult(
        status=migration_status(ws.store, ws.name, final.assistant, migration_id=final.id),
        workflow_errors=errors,
        held_elsewhere=tuple(sorted(stalled.items())),
        interrupted=should_stop(),
    )


class _Stall:
    """Whether the settled count has stood still for `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last = -1
        self.since = time.monotonic()
        self.tripped = False

    def stalled(self, finished: int) -> bool:
        now = time.monotonic()
        if finished != self.last:
            self.last, self.since = finished, now
            return False
        self.tripped = now - self.since >= self.seconds
        return self.tripped


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
                    report = migration_status(ws.store, ws.name, record.assistant, migration_id=record.id)
                    if report.progress.counts[ItemStatus.PENDING] == 0:
                        _finish_if_settled(ws, record.id)
                    elif on_progress is not None:
                        on_progress(report)
            sweep_deletions(ws, gate)
            time.sleep(poll_seconds)


def sweep_deletions(ws: Workspace, gate: RateGate | None = None) -> int:
    """Delete old conversations whose `--delete-after` has passed and whose copies' version is stable (the
    copies are served instead); only conversations this store moved are ever deleted. Returns how many."""
    due = ws.store.items_due_for_deletion(ws.name, now=time.time(), limit=DELETE_BATCH)
    # Only once the copies' version is stable: under a canary an abort moves the copies back and the
    # runtime serves the originals again, so they must still be there.
    targets = {m.id: m for m in ws.store.migrations(ws.name)}
    due = tuple(i for i in due if _serves(ws, targets[i.migration_id]))
    if not due:
        return 0
    copies, _ = platform_ops(ws, gate if gate is not None else rate_gate(ws))
    if copies is None:
        return 0
    for item in due:
        copies.delete(item.conversation)
        ws.store.mark_deleted(item.migration_id, item.conversation, now=time.time())
    return len(due)


def _serves(ws: Workspace, record: MigrationRecord) -> bool:
    return ws.store.pointers(ws.name, record.assistant).get("stable") == record.to_version


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
