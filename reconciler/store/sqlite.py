"""The default state backend: one SQLite file (`.reconcile/state.db`) via the standard library, or an
in-memory database for tests.

Safe for two processes: WAL mode lets readers run beside the writer, every write transaction starts with
BEGIN IMMEDIATE (so the lease check and the lease write happen under SQLite's single write lock), and
`busy_timeout` makes a second writer wait instead of failing.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reconciler.errors import StateError
from reconciler.store.migrate import Migration
from reconciler.store.sqlcore import Dialect, Row
from reconciler.store.sqlstore import SqlStore
from reconciler.store.stop_tables import StopWatch

__all__ = ["SQLITE", "SqliteStore"]

MEMORY = ":memory:"

SQLITE = Dialect(
    name="sqlite",
    begin_write="BEGIN IMMEDIATE",
    begin_read="BEGIN",  # in WAL mode a read transaction sees one snapshot throughout
    substitutions={"{{ID_PRIMARY_KEY}}": "INTEGER PRIMARY KEY AUTOINCREMENT"},
    convert_placeholders=lambda sql: sql,
    greatest="max",
)


# What to do with a state file that cannot be used: a fresh state would upload every file again beside
# the old copies, so it is never started in place of one that exists.
_ADVICE = (
    "restore it from a backup; if the state is lost for good, delete the file and plan: objects labelled "
    "as this project's are adopted again (spend alerts, which carry no label, are created anew)"
)


class SqliteStore(SqlStore):
    """A state store in one SQLite database. `path` is a file path or `:memory:`.

    A missing file is a fresh state. An existing one that is empty (0 bytes: truncated) or unreadable is
    an error, never a fresh start. A new file is made whole beside its path and linked into place, so no
    opener ever sees a half-made (0-byte) file where a state should be."""

    def __init__(
        self, path: str | Path, *, busy_timeout: float = 30.0, migrations: tuple[Migration, ...] | None = None
    ) -> None:
        super().__init__(SQLITE)
        self.path = str(path)
        if self.path != MEMORY:
            _create_if_missing(Path(self.path))
        try:
            # isolation_level=None: the module issues no implicit BEGIN/COMMIT; SqlCore does it explicitly.
            self._conn = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StateError(f"cannot open SQLite state at {self.path}: {exc}; {_ADVICE}") from exc
        try:
            self._exec("PRAGMA foreign_keys = ON")
            if self.path != MEMORY:
                self._enable_wal(busy_timeout)
                self._exec("PRAGMA synchronous = NORMAL")
            self.migrate(migrations)
        except BaseException:
            self.close()
            raise

    def _enable_wal(self, busy_timeout: float) -> None:
        """Switch a fresh file to WAL. The switch needs the file to itself and SQLite answers "locked"
        at once, without its busy handler, while another opener holds it: retry until the timeout."""
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL").fetchall()
                return
            except sqlite3.Error as exc:  # not a database, unreadable, ...: our error, not sqlite3's
                locked = isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
                if not locked:
                    raise StateError(f"SQLite state at {self.path} is unreadable ({exc}): {_ADVICE}") from exc
                if time.monotonic() >= deadline:
                    raise StateError(f"SQLite state at {self.path}: {exc}") from exc
                time.sleep(0.005)

    @contextmanager
    def _lock_waits_at_most(self, seconds: float) -> Iterator[None]:
        # The busy handler is per connection: shorten it, and put the store's own back afterwards.
        ((before,),) = self._query("PRAGMA busy_timeout")
        self._query(f"PRAGMA busy_timeout = {max(0, round(seconds * 1000))}")
        try:
            yield
        finally:
            self._query(f"PRAGMA busy_timeout = {int(before)}")

    def _run(self, sql: str, params: Sequence[Any]) -> tuple[list[Row], int]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, params)
            rows: list[Row] = cursor.fetchall()
            return rows, cursor.rowcount
        except sqlite3.Error as exc:
            raise StateError(f"SQLite state at {self.path}: {exc}") from exc
        finally:
            cursor.close()

    def _run_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, params)
        except sqlite3.Error as exc:
            raise StateError(f"SQLite state at {self.path}: {exc}") from exc

    def _close_connection(self) -> None:
        self._conn.close()

    def stop_watch(self) -> StopWatch:
        return _DataVersionWatch(self)


class _DataVersionWatch:
    """Changed when this connection's `PRAGMA data_version` moved (a commit by another connection, in
    this process or another) or a stop was written through this very connection (which data_version does
    not count). One PRAGMA per call: no file read, no TTL."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._seen: tuple[int, int] | None = None

    def changed(self) -> bool:
        store = self._store
        ((version,),) = store._query("PRAGMA data_version")
        mark = (int(version), store._stop_writes)
        if mark == self._seen:
            return False
        self._seen = mark
        return True

    def close(self) -> None:
        self._seen = None


def _create_if_missing(path: Path) -> None:
    """Make a new state file whole (an SQLite header in WAL mode) and link it into place; refuse an
    existing empty one. Two processes creating at once both succeed: the second link finds the first's."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fresh = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
            try:
                conn = sqlite3.connect(fresh, isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode = WAL").fetchall()
                finally:
                    conn.close()
                try:
                    os.link(fresh, path)
                except FileExistsError:
                    pass  # another opener made it first: use theirs
                except OSError:
                    if not path.exists():  # a filesystem without hard links
                        os.replace(fresh, path)
            finally:
                for leftover in (fresh, *(fresh.with_name(fresh.name + s) for s in ("-wal", "-shm"))):
                    leftover.unlink(missing_ok=True)
        empty = path.stat().st_size == 0
    except (OSError, sqlite3.Error) as exc:
        raise StateError(f"cannot create SQLite state at {path}: {exc}") from exc
    if empty:
        raise StateError(f"SQLite state at {path} is empty (0 bytes), not a new state: {_ADVICE}")
