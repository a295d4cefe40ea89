"""Persistence for the emulator: JSON objects in SQLite (in memory or a file), safe under concurrency.

One table holds every object kind; `seq` gives a stable creation order for cursor pagination, and
`parent` scopes children (a vector store's files, a thread's messages). Blobs hold file contents.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

JSON = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, parent, id)
);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects (kind, parent, seq);
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, content BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Storage:
    """Thread-safe object store. Every public method is atomic; `atomic()` groups several."""

    def __init__(self, path: str = ":memory:") -> None:
        # One connection guarded by a re-entrant lock: SQLite serialises writers anyway, and a single
        # connection lets an in-memory database be shared by the server's worker threads.
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)  # `--db .reconcile/x.db` on a fresh clone
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    def next_seq(self, name: str = "seq") -> int:
        with self.atomic():
            row = self._conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = (row[0] if row else 0) + 1
            self._conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
            return int(value)

    def insert(self, kind: str, obj: JSON, *, parent: str = "") -> JSON:
        with self.atomic():
            seq = self.next_seq()
            self._conn.execute(
                "INSERT INTO objects (kind, id, parent, seq, data) VALUES (?, ?, ?, ?, ?)",
                (kind, obj["id"], parent, seq, json.dumps(obj)),
            )
        return obj

    def get(self, kind: str, obj_id: str, *, parent: str = "") -> JSON | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, obj_id)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, kind: str, obj: JSON, *, parent: str = "") -> JSON:
        """Replace an existing object, keeping its place in the creation order."""
        with self.atomic():
            self._conn.execute(
                "UPDATE objects SET data = ? WHERE kind = ? AND parent = ? AND id = ?",
                (json.dumps(obj), kind, parent, obj["id"]),
            )
        return obj

    def delete(self, kind: str, obj_id: str, *, parent: str = "") -> bool:
        with self.atomic():
            cur = self._conn.execute(
                "DELETE FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, obj_id)
            )
            self._conn.execute("DELETE FROM objects WHERE parent = ?", (obj_id,))
        return cur.rowcount > 0

    def all(self, kind: str, *, parent: str | None = "") -> list[JSON]:
        """Every object of a kind in creation order (parent=None: across all parents)."""
        with self._lock:
            if parent is None:
                rows = self._conn.execute(
                    "SELECT data FROM objects WHERE kind = ? ORDER BY seq", (kind,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT data FROM objects WHERE kind = ? AND parent = ? ORDER BY seq", (kind, parent)
                ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def page(
        self,
        kind: str,
        *,
        parent: str = "",
        order: str = "desc",
        after: str | None = None,
        before: str | None = None,
        limit: int = 20,
        keep: Callable[[JSON], bool] | None = None,
    ) -> tuple[list[JSON], bool]:
        """One cursor page in creation order, as OpenAI's list endpoints page: returns (items, has_more).

        SQL does the cursor work (`seq` keyset on the (kind, parent, seq) index), so a page costs about
        `limit` rows however many objects exist. `keep` filters in Python, so rows are read in batches
        until the page is full. `before` pages towards the start: the `limit` items just before the cursor.
        An unknown `after` gives an empty page; an unknown `before` is ignored.
        """
        with self._lock:
            bounds: list[tuple[str, int]] = []
            if after is not None:
                after_seq = self._seq_of(kind, parent, after)
                if after_seq is None:
                    return [], False
                bounds.append((">" if order == "asc" else "<", after_seq))
            backwards = False
            if before is not None:
                before_seq = self._seq_of(kind, parent, before)
                if before_seq is not None:
                    bounds.append(("<" if order == "asc" else ">", before_seq))
                    backwards = True
            # Walking backwards from a `before` cursor reads in the opposite order, then flips the page.
            ascending = (order == "asc") != backwards
            items = self._collect(kind, parent, bounds, ascending, limit + 1, keep)
        has_more = len(items) > limit
        items = items[:limit]
        if backwards:
            items.reverse()
        return items, has_more

    def _seq_of(self, kind: str, parent: str, obj_id: str) -> int | None:
        row = self._conn.execute(
            "SELECT seq FROM objects WHERE kind = ? AND parent = ? AND id = ?", (kind, parent, obj_id)
        ).fetchone()
        return None if row is None else int(row[0])

    def _collect(
        self,
        kind: str,
        parent: str,
        bounds: list[tuple[str, int]],
        ascending: bool,
        want: int,
        keep: Callable[[JSON], bool] | None,
    ) -> list[JSON]:
        step = ">" if ascending else "<"
        direction = "ASC" if ascending else "DESC"
        batch = want if keep is None else max(want, 200)
        found: list[JSON] = []
        last: int | None = None
        while len(found) < want:  # bounded: every pass moves `last` forward or stops
            where = ["kind = ?", "parent = ?"] + [f"seq {op} ?" for op, _ in bounds]
            params: list[object] = [kind, parent] + [seq for _, seq in bounds]
            if last is not None:
                where.append(f"seq {step} ?")
                params.append(last)
            rows = self._conn.execute(
                f"SELECT seq, data FROM objects WHERE {' AND '.join(where)} "  # noqa: S608  (operators are ours)
                f"ORDER BY seq {direction} LIMIT ?",
                (*params, batch),
            ).fetchall()
            for seq, data in rows:
                obj = dict(json.loads(data))
                if keep is None or keep(obj):
                    found.append(obj)
                    if len(found) >= want:
                        break
                last = int(seq)
            if len(rows) < batch:
                break
        return found

    def put_blob(self, blob_id: str, content: bytes) -> None:
        with self.atomic():
            self._conn.execute("INSERT OR REPLACE INTO blobs (id, content) VALUES (?, ?)", (blob_id, content))

    def get_blob(self, blob_id: str) -> bytes | None:
        with self._lock:
            row = self._conn.execute("SELECT content FROM blobs WHERE id = ?", (blob_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def delete_blob(self, blob_id: str) -> None:
        with self.atomic():
            self._conn.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
