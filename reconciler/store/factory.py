"""`open_store(dsn)`: choose the state backend by the DSN's scheme.

`sqlite:///relative/state.db`, `sqlite:////absolute/state.db` and `sqlite:///:memory:` open SQLite;
`postgresql://...` and `postgres://...` open PostgreSQL, which needs the `postgres` extra (psycopg).
"""

from __future__ import annotations

from reconciler.errors import StateError
from reconciler.store.base import StateStore

__all__ = ["open_store"]

_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")


def open_store(dsn: str) -> StateStore:
    """Open (and migrate) the state store a DSN names. The caller closes it."""
    if dsn.startswith(_SQLITE):
        path = dsn[len(_SQLITE) :]
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
