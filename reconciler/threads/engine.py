"""The durable engine under conversation migrations: DBOS Transact (docs/decisions/0001-durable-engine.md).
The only module that imports `dbos`.

Each conversation of a migration is one DBOS workflow (`reconciler.migrate_conversation`, id
`MIGRATION/CONVERSATION`), enqueued on one queue in DBOS's system database: a SQLite file beside the state
on one machine, a schema (`reconciler_dbos`) in the state's PostgreSQL database across several. Its
platform steps are DBOS steps, so a workflow recovered after a crash skips the steps that finished. Any
process that opens an `Engine` on the same system database dequeues from the queue; the dequeue admits one
runner per workflow, and recovery (at launch, of this executor's workflows left PENDING by a crash) goes
through the same queue. The queue runs `concurrency` workflows at once per process; the rate limit is not
DBOS's (it counts workflow starts, not requests) but the shared request budget each platform call takes
(`calls.rate`).

DBOS keeps one instance per process, so one `Engine` is open at a time; the workflows find their `Unit`
through the resolver the open engine was given.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

from dbos import DBOS, SetWorkflowID

from reconciler.errors import (
    NotFound,
    PermanentPlatformError,
    ReconcilerError,
    StateError,
)
from reconciler.model.moves import ItemStatus
from reconciler.threads.unit import Outcome, Unit

__all__ = [
    "DEFAULT_CONCURRENCY",
    "Engine",
    "EngineSettings",
    "WorkflowCounts",
    "system_database_url",
    "workflow_id",
]

T = TypeVar("T")

QUEUE = "reconciler-migrations"
APP_VERSION = "reconciler-migrate-1"  # a workflow is recovered only by processes of the same version
SYSTEM_SCHEMA = "reconciler_dbos"
# Workflows at once per process. More is slower on SQLite: every step's checkpoint takes the database's
# one write lock, and waiters back off in SQLite's busy handler (measured: 500 conversations in 15.7 s at
# 8, 17.8 s at 4, 18.9 s at 16, emulator on the same 2 cores).
DEFAULT_CONCURRENCY = 8
_log = logging.getLogger(__name__)


class _Open:
    """The engine open in this process (DBOS keeps one instance per process), for the workflows."""

    lock = threading.Lock()
    resolver: Callable[[str], Unit] | None = None


def workflow_id(migration_id: str, conversation: str) -> str:
    return f"{migration_id}/{conversation}"


def system_database_url(state_dsn: str) -> str:
    """Where DBOS keeps its workflows: a SQLite file beside a SQLite state, the state's own PostgreSQL
    database (a schema of its own) otherwise."""
    if state_dsn.startswith("sqlite://"):
        path = state_dsn.removeprefix("sqlite://")
        if path in ("", "/", "/:memory:") or not path.startswith("/"):
            raise StateError("a conversation migration needs a state store on disk, not in memory")
        return f"sqlite://{Path(path).with_name('workflows.sqlite').as_posix()}"
    if urlsplit(state_dsn).scheme in ("postgresql", "postgres"):
        return state_dsn
    raise StateError("a conversation migration needs a SQLite or PostgreSQL state store")


@dataclass(frozen=True)
class EngineSettings:
    system_database_url: str
    executor_id: str  # who runs the workflows: a restart with the same id recovers its unfinished ones
    concurrency: int = DEFAULT_CONCURRENCY  # workflows at once in this process
    poll_seconds: float = 0.05  # how often this process looks for queued workflows


@dataclass(frozen=True)
class WorkflowCounts:
    queued: int  # enqueued or running (PENDING): work left
    failed: int  # ended in an error (the platform failing past its retries): resumed by the next run


def _steps(name: str, fn: Callable[[], T]) -> T:
    return DBOS.run_step({"name": name, "retries_allowed": False}, fn)


@DBOS.workflow(name="reconciler.migrate_conversation")
def _migrate_conversation(migration_id: str, conversation: str) -> str:
    resolver = _Open.resolver
    if resolver is None:
        raise StateError("no migration engine is open in this process")
    unit = resolver(migration_id)
    try:
        return unit.run(conversation, _steps).value
    except (PermanentPlatformError, NotFound) as error:
        # The platform refused for good (a copied item it rejects, say): this conversation fails alone.
        settled = unit.store.settle_item(
            migration_id, conversation, ItemStatus.FAILED, error=str(error), now=unit.wall_clock()
        )
        return (Outcome.FAILED if settled else Outcome.ALREADY).value


class Engine:
    """DBOS launched in this process for the time of a `with` block."""

    def __init__(self, settings: EngineSettings, resolver: Callable[[str], Unit]) -> None:
        self.settings = settings
        self._resolver = resolver
        self._open = False

    def __enter__(self) -> Self:
        if not _Open.lock.acquire(blocking=False):
            raise StateError("a migration engine is already open in this process")
        try:
            _write_ahead_log(self.settings.system_database_url)
            DBOS(
                config={
                    "name": "reconciler",
                    "system_database_url": self.settings.system_database_url,
                    "dbos_system_schema": SYSTEM_SCHEMA,
                    "executor_id": self.settings.executor_id,
                    "application_version": APP_VERSION,
                    "log_level": "ERROR",
                    "max_executor_threads": self.settings.concurrency + 8,
                }
            )
            _Open.resolver = self._resolver
            DBOS.launch()
            DBOS.register_queue(
                QUEUE,
                worker_concurrency=self.settings.concurrency,
                polling_interval_sec=self.settings.poll_seconds,
                on_conflict="always_update",
            )
        except ReconcilerError:
            self._close()
            raise
        except Exception as error:
            self._close()
            # The DSN may hold a password: the error's type and first line only, never the URL.
            raise StateError(f"the migration engine (DBOS) could not start: {type(error).__name__}") from None
        self._open = True
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        try:
            DBOS.destroy(destroy_registry=False)
        except Exception:
            _log.debug("DBOS.destroy failed", exc_info=True)
        _Open.resolver = None
        self._open = False
        if _Open.lock.locked():
            _Open.lock.release()

    # -- the work ----------------------------------------------------------------------------------
    def enqueue(self, migration_id: str, conversations: Iterable[str]) -> int:
        """Put each conversation's workflow on the queue (once: an id already known is left alone, and
        one that ended in an error is resumed). Returns how many were enqueued or resumed."""
        queue = DBOS.retrieve_queue(QUEUE)
        if queue is None:
            raise StateError("the migration queue is missing from DBOS's system database")
        wanted = {workflow_id(migration_id, c): c for c in conversations}
        known = {
            status.workflow_id: status.status
            for status in DBOS.list_workflows(
                workflow_id_prefix=f"{migration_id}/", load_input=False, load_output=False
            )
        }
        count = 0
        for wid, conversation in wanted.items():
            status = known.get(wid)
            if status is None:
                with SetWorkflowID(wid):
                    queue.enqueue(_migrate_conversation, migration_id, conversation)
                count += 1
            elif status in ("ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"):
                DBOS.resume_workflow(wid)
                count += 1
        return count

    def counts(self, migration_id: str) -> WorkflowCounts:
        statuses = [
            status.status
            for status in DBOS.list_workflows(
                workflow_id_prefix=f"{migration_id}/", load_input=False, load_output=False
            )
        ]
        queued = sum(1 for s in statuses if s in ("ENQUEUED", "PENDING", "DELAYED"))
        failed = sum(1 for s in statuses if s in ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"))
        return WorkflowCounts(queued=queued, failed=failed)

    def in_hand(self, migration_id: str) -> int:
        """Workflows of the migration this executor has dequeued and not ended. A conversation is settled
        in the store before its workflow ends (the `finish` step records the move, then labels the
        original), so a process that stops when the store shows none pending cuts those labels off."""
        return len(
            DBOS.list_workflows(
                workflow_id_prefix=f"{migration_id}/",
                status=["PENDING"],
                executor_id=self.settings.executor_id,
                load_input=False,
                load_output=False,
            )
        )

    def errors(self, migration_id: str, limit: int = 5) -> list[str]:
        """The first lines of the errors workflows of this migration ended with."""
        found = DBOS.list_workflows(
            workflow_id_prefix=f"{migration_id}/",
            status=["ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"],
            load_input=False,
            limit=limit,
        )
        return [f"{s.workflow_id}: {_first_line(s.error)}" for s in found]

    def cancel(self, migration_id: str, conversations: Sequence[str]) -> None:
        """Take the conversations' workflows off the queue (those running finish their conversation)."""
        ids = [workflow_id(migration_id, c) for c in conversations]
        for start in range(0, len(ids), 500):
            DBOS.cancel_workflows(ids[start : start + 500])


def _write_ahead_log(url: str) -> None:
    """Put a SQLite system database in WAL mode (it stays so: the mode is kept in the file). DBOS opens it
    in the default rollback-journal mode, where every step's checkpoint costs several fsyncs and readers
    wait for writers; with 16 workflows checkpointing at once that, not the platform, set the pace."""
    if not url.startswith("sqlite://"):
        return
    path = Path(url.removeprefix("sqlite://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        connection.execute("PRAGMA journal_mode = WAL").fetchall()


def _first_line(error: Any) -> str:
    text = str(error) if error is not None else "unknown error"
    return text.splitlines()[0] if text else type(error).__name__
