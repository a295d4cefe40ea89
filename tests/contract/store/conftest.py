"""Backends for the store contract suite: SQLite in memory, SQLite in a file, and PostgreSQL on
127.0.0.1:5432 in a fresh schema per test (dropped afterwards), so parallel runs never collide.

PostgreSQL must not silently vanish from CI: when it is unreachable the postgres cases fail if CI=true and
skip (with the reason) otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.store import open_store
from reconciler.store.sqlstore import SqlStore

PG_URL = os.environ.get("RECONCILE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Backend:
    """One backend under test. `connect()` opens another handle on the same database (a second process
    would); the in-memory database has only one, so there it returns the shared store."""

    name: str
    dsn: str
    store: SqlStore
    shared_only: bool = False
    _extra: list[SqlStore] = field(default_factory=list)

    def connect(self) -> SqlStore:
        if self.shared_only:
            return self.store
        handle = open_store(self.dsn)
        assert isinstance(handle, SqlStore)
        self._extra.append(handle)
        return handle

    def close_all(self) -> None:
        for handle in self._extra:
            handle.close()
        self.store.close()


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not reachable ({reason})")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    try:
        import psycopg
    except ImportError as exc:
        _pg_unavailable(f"psycopg missing: {exc}")
    try:
        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        _pg_unavailable(" ".join(str(exc).split())[:200])
    return PG_URL


@pytest.fixture
def pg_schema_dsn(request: pytest.FixtureRequest) -> Iterator[str]:
    admin_url = request.getfixturevalue("pg_admin_url")
    import psycopg

    schema = f"reconcile_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in admin_url else "?"
    try:
        yield f"{admin_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _open(dsn: str) -> SqlStore:
    store = open_store(dsn)
    assert isinstance(store, SqlStore)
    return store


@pytest.fixture(
    params=["sqlite-memory", "sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    make: dict[str, Callable[[], Backend]] = {
        "sqlite-memory": lambda: Backend(
            "sqlite-memory", "sqlite:///:memory:", _open("sqlite:///:memory:"), shared_only=True
        ),
        "sqlite-file": lambda: Backend(
            "sqlite-file", f"sqlite:///{tmp_path}/state.db", _open(f"sqlite:///{tmp_path}/state.db")
        ),
        "postgres": lambda: _pg_backend(request.getfixturevalue("pg_schema_dsn")),
    }
    chosen = make[request.param]()
    try:
        yield chosen
    finally:
        chosen.close_all()


def _pg_backend(dsn: str) -> Backend:
    return Backend("postgres", dsn, _open(dsn))


@pytest.fixture
def store(backend: Backend) -> SqlStore:
    return backend.store


class FakeClock:
    """A clock that only moves when slept on: lease expiry without waiting."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
