"""Schema migrations: the numbered SQL files in `store/migrations/`, checked for order, applied in order
on open and recorded in `schema_migrations` (number, name, checksum, applied_at).

Applying is idempotent and safe when two processes open a fresh database at once: each migration runs
in its own write transaction that first re-checks `schema_migrations`, and the backend's migration lock
(a PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE suffices) keeps concurrent DDL apart. A database
written by a newer reconciler, or a migration edited after it was applied, is refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from reconciler.errors import StateError
from reconciler.store.sqlcore import SqlCore

__all__ = ["Migration", "applied_migrations", "bundled_migrations", "migrate", "parse_migrations"]

_NAME = re.compile(r"^(?P<number>\d{4})_(?P<slug>[a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    number     INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self) -> list[str]:
        """The file split into statements; `--` comment lines are dropped first so they may hold `;`."""
        lines = [line for line in self.sql.splitlines() if not line.lstrip().startswith("--")]
        return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def parse_migrations(files: Mapping[str, str]) -> tuple[Migration, ...]:
    """Order migration files by number. Names must be `NNNN_slug.sql`, numbered 1, 2, 3 ... with no gap
    or duplicate: a gap means a file went missing, and running the rest would build the wrong schema."""
    found: dict[int, Migration] = {}
    for name, sql in files.items():
        match = _NAME.match(name)
        if match is None:
            raise StateError(f"migration file {name!r} is not named NNNN_description.sql")
        number = int(match["number"])
        if number in found:
            raise StateError(f"two migrations numbered {number}: {found[number].name} and {name}")
        found[number] = Migration(number=number, name=name, sql=sql)
    ordered = tuple(found[n] for n in sorted(found))
    for expected, migration in enumerate(ordered, start=1):
        if migration.number != expected:
            raise StateError(f"migrations must be numbered 1, 2, 3 ...: {migration.name} follows a gap")
    return ordered


def bundled_migrations() -> tuple[Migration, ...]:
    folder = resources.files("reconciler.store").joinpath("migrations")
    files = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    }
    return parse_migrations(files)


def applied_migrations(core: SqlCore) -> dict[int, str]:
    """number -> checksum of every migration recorded in the database."""
    rows = core._query("SELECT number, checksum FROM schema_migrations ORDER BY number")
    return {int(number): str(checksum) for number, checksum in rows}


def migrate(
    core: SqlCore, migrations: tuple[Migration, ...] | None = None, *, now: float | None = None
) -> list[int]:
    """Bring the schema up to date; returns the numbers applied by this call (empty when current)."""
    known = bundled_migrations() if migrations is None else migrations
    applied_now: list[int] = []
    with core.migration_lock():
        with core.transaction():
            core._exec(_CREATE_TABLE)
        _refuse_unknown(core, known)
        for migration in known:
            with core.transaction():
                rows = core._query(
                    "SELECT checksum FROM schema_migrations WHERE number = ?", (migration.number,)
                )
                if rows:
                    if rows[0][0] != migration.checksum:
                        raise StateError(
                            f"migration {migration.name} changed after it was applied to this database; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                for statement in migration.statements():
                    core._exec(core.dialect.render_migration(statement))
                core._exec(
                    "INSERT INTO schema_migrations (number, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    (
                        migration.number,
                        migration.name,
                        migration.checksum,
                        time.time() if now is None else now,
                    ),
                )
                applied_now.append(migration.number)
    return applied_now


def _refuse_unknown(core: SqlCore, known: tuple[Migration, ...]) -> None:
    numbers = {m.number for m in known}
    newer = sorted(n for n in applied_migrations(core) if n not in numbers)
    if newer:
        raise StateError(
            f"the state database has schema migration {newer[-1]}, newer than this reconciler knows "
            f"(up to {max(numbers, default=0)}); upgrade reconciler"
        )
