"""State DSNs, parsed here and nowhere else: `open_store(dsn)` chooses the backend by the DSN's scheme,
`sqlite_file` names the file an SQLite DSN opens, `absolute_dsn` anchors a relative one at a project root.

`sqlite:///relative/state.db`, `sqlite:////absolute/state.db` and `sqlite:///:memory:` open SQLite;
`postgresql://...` and `postgres://...` open PostgreSQL, which needs the `postgres` extra (psycopg).
"""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import StateError
from reconciler.store.base import StateStore

__all__ = ["absolute_dsn", "open_store", "sqlite_file"]

_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")
_MEMORY = ":memory:"


def _sqlite_path(dsn: str) -> str | None:
    """The path part of an SQLite DSN ("" when it has none); None for any other scheme."""
    return dsn[len(_SQLITE) :] if dsn.startswith(_SQLITE) else None


def sqlite_file(dsn: str) -> Path | None:
    """The file an SQLite DSN opens; None for an in-memory database, a path-less DSN and other backends."""
    path = _sqlite_path(dsn)
    return None if not path or _MEMORY in path else Path(path)


def missing_file(dsn: str) -> Path | None:
    """The SQLite file a DSN names when it is not there (opening it would create an empty store); None
    when it exists or the DSN names no file. Readers that must not create a store refuse on it."""
    database = sqlite_file(dsn)
    return database if database is not None and not database.is_file() else None


def absolute_dsn(dsn: str, root: Path) -> str:
    """`dsn` with a relative SQLite path made absolute against `root` (a project's root); others as given."""
    path = _sqlite_path(dsn)
    if not path or _MEMORY in path or Path(path).is_absolute():
        return dsn
    return _SQLITE + str(root / path)


def open_store(dsn: str) -> StateStore:
    """Open (and migrate) the state store a DSN names. The caller closes it."""
    path = _sqlite_path(dsn)
    if path is not None:
        if not path:
            raise StateError(
                "an SQLite state DSN needs a path: sqlite:///.reconcile/state.db or sqlite:///:memory:"
            )
        from reconciler.store.sqlite import SqliteStore

        return SqliteStore(path)
    if dsn.startswith(_POSTGRES):
        try:
            from reconciler.store.postgres import PostgresStore
        except ImportError as exc:
            raise StateError(
                f"a PostgreSQL state store needs psycopg: pip install 'reconciler[postgres]' ({exc.msg})"
            ) from None
        return PostgresStore(dsn)
    scheme = dsn.split("://", 1)[0] if "://" in dsn else "(none)"
    raise StateError(
        f"unsupported state DSN scheme {scheme!r}: use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )
