"""The connection discipline shared by the SQL backends: one connection per store, guarded by a lock so
threads can share a store, explicit BEGIN/COMMIT transactions that nest by joining, and the dialect
differences (placeholders, how a write transaction starts, the one migration substitution).

SQL in the store is written once with `?` placeholders; a backend only says how to run a statement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from reconciler.errors import StateError

__all__ = ["Dialect", "Row", "SqlCore"]

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite and PostgreSQL for our SQL."""

    name: str
    begin_write: str  # SQLite: BEGIN IMMEDIATE takes the write lock up front, so check-then-write is safe
    begin_read: str  # a snapshot, so `read()` never sees half of another apply's transaction
    substitutions: Mapping[str, str]
    convert_placeholders: Callable[[str], str]
    greatest: str  # the larger of two values as SQL: SQLite's scalar max(), PostgreSQL's GREATEST
    # A read that must wait for a concurrent writer of the row and see its commit: PostgreSQL's FOR SHARE
    # (SQLite has one writer at a time, so a statement never reads under another's write).
    share_lock: str = ""

    def render_migration(self, sql: str) -> str:
        for token, replacement in self.substitutions.items():
            sql = sql.replace(token, replacement)
        if "{{" in sql:
            raise StateError(f"migration uses an unknown substitution for {self.name}: {sql[:80]!r}")
        return sql


class SqlCore:
    """Transactions and statement execution over one DB-API-like connection; backends fill in `_run`."""

    dialect: Dialect

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._guard = threading.RLock()
        self._depth = 0
        self._closed = False
        self._on_commit: list[Callable[[], None]] = []

    # -- what a backend provides -------------------------------------------------------------------
    def _run(self, sql: str, params: Sequence[Any]) -> tuple[list[Row], int]:
        """Execute one statement (already in the backend's placeholder style); return rows and rowcount.
        Driver errors must come out as StateError."""
        raise NotImplementedError

    def _run_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for each parameter row, in one driver call. Driver errors must come out
        as StateError."""
        raise NotImplementedError

    def _close_connection(self) -> None:
        raise NotImplementedError

    def _serialize(self, topic: str) -> None:
        """Inside a write transaction, wait for any other writer on `topic` (a row that may not exist
        yet). SQLite needs nothing: BEGIN IMMEDIATE already admits one writer at a time."""

    def _lock_waits_at_most(self, seconds: float) -> AbstractContextManager[None]:
        """Inside it, a statement waiting for another writer's lock gives up after `seconds`."""
        return nullcontext()

    def migration_lock(self) -> AbstractContextManager[None]:
        """Held while migrating so two processes opening a fresh database do not both create tables."""
        return nullcontext()

    # -- statements --------------------------------------------------------------------------------
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._statement(sql, params)[0]

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._statement(sql, params)[1]

    def _exec_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """One statement run for every row of `params` (nothing when there is none): a batch's writes."""
        if not params:
            return
        with self._guard:
            if self._closed:
                raise StateError("the state store is closed")
            self._run_many(self.dialect.convert_placeholders(sql), [tuple(p) for p in params])

    def _serialize_all(self, topics: Sequence[str]) -> None:
        """`_serialize` for several topics, in a fixed order so two batches cannot wait for each other."""
        for topic in sorted(set(topics)):
            self._serialize(topic)

    def _statement(self, sql: str, params: Sequence[Any]) -> tuple[list[Row], int]:
        with self._guard:
            if self._closed:
                raise StateError("the state store is closed")
            return self._run(self.dialect.convert_placeholders(sql), tuple(params))

    # -- transactions ------------------------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[None]:
        return self._transaction(self.dialect.begin_write)

    @contextmanager
    def brief_transaction(self, seconds: float) -> Iterator[None]:
        """A write transaction that waits at most `seconds` for other writers, then fails (StateError):
        for writes worth making only when they are cheap. The guard is held throughout, so no other
        thread's statement on this store runs with the shortened wait. Inside a caller's transaction it
        joins that one with the usual waits: a wait given up there would abort the caller's whole
        transaction (PostgreSQL), whose COMMIT would then silently roll back."""
        with self._guard:
            if self._depth:
                with self.transaction():
                    yield
                return
            with self._lock_waits_at_most(seconds), self.transaction():
                yield

    def _after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction now open commits (at once outside one); never if it rolls
        back. For in-memory bookkeeping that must count only what other readers can see."""
        if not self._depth:
            action()
            return
        self._on_commit.append(action)

    def _snapshot(self) -> AbstractContextManager[None]:
        return self._transaction(self.dialect.begin_read)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        with self._guard:
            if self._depth:
                # Join the outer transaction: the unit of atomicity is the outermost block.
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._statement(begin, ())
            self._depth = 1
            self._on_commit = []
            try:
                yield
            except BaseException:
                self._depth = 0
                self._on_commit = []
                self._rollback_quietly()
                raise
            self._depth = 0
            committed, self._on_commit = self._on_commit, []
            try:
                self._statement("COMMIT", ())
            except BaseException:
                self._rollback_quietly()
                raise
            for action in committed:
                action()

    def _rollback_quietly(self) -> None:
        # The original error is what matters; a failed ROLLBACK (connection gone) must not mask it.
        with suppress(StateError):
            self._statement("ROLLBACK", ())

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        with self._guard:
            if self._closed:
                return
            self._closed = True
            self._close_connection()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @staticmethod
    def _workspace(workspace: str) -> str:
        if not workspace or workspace != workspace.strip():
            raise StateError(f"invalid workspace name {workspace!r}")
        return workspace
