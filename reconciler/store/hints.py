"""The list-hints table: per workspace and cursor list, the cursors its pages began at in the last read.

A reader that knows them can request every page at once (`targets.paging.from_cursors`). They are hints:
the reader checks that the pages it fetched join up, so a stale row costs extra requests, never objects,
and a row that cannot be read back (written by hand, say) counts as no hints rather than failing a plan.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence

from reconciler.errors import StateError
from reconciler.store.guard import check_text
from reconciler.store.sqlcore import SqlCore

__all__ = ["HintTable"]

_log = logging.getLogger(__name__)

MAX_CURSORS = 10_000  # as many pages as a list walk may take (targets.paging.MAX_PAGES)
# Hints are saved at the end of a plan: a store busy with another writer (an apply's transaction) must
# cost the next plan its hints, not this plan the store's full busy timeout (30 s for SQLite).
WRITE_WAIT_SECONDS = 1.0


class HintTable(SqlCore):
    def list_hints(self, workspace: str) -> dict[str, tuple[str, ...]]:
        rows = self._query(
            "SELECT listing, cursors FROM list_hints WHERE workspace = ? ORDER BY listing",
            (self._workspace(workspace),),
        )
        hints: dict[str, tuple[str, ...]] = {}
        for listing, text in rows:
            cursors = _cursors(text)
            if cursors is None:
                _log.warning("ignoring the unreadable list hints of %r in the state store", listing)
            else:
                hints[str(listing)] = cursors
        return hints

    def save_list_hints(
        self,
        workspace: str,
        hints: Mapping[str, Sequence[str]],
        *,
        now: float,
        drop: Collection[str] = (),
    ) -> None:
        rows = []
        for listing, cursors in hints.items():
            # Names and cursors are checked before either is named in an error: a refused value that
            # looked like a key must not be echoed.
            check_text(listing, what="a list-hints name")
            if not listing or isinstance(cursors, str) or not all(isinstance(c, str) for c in cursors):
                raise StateError(f"list hints of {listing!r} must be a named sequence of string cursors")
            if len(cursors) > MAX_CURSORS:
                raise StateError(f"list hints of {listing!r}: more than {MAX_CURSORS} cursors")
            rows.append((listing, check_text(json.dumps(list(cursors)), what=f"list hints of {listing!r}")))
        gone = [check_text(listing, what="a list-hints name") for listing in drop if listing not in hints]
        with self.brief_transaction(WRITE_WAIT_SECONDS):
            for listing in gone:
                self._exec(
                    "DELETE FROM list_hints WHERE workspace = ? AND listing = ?",
                    (self._workspace(workspace), listing),
                )
            for listing, text in rows:
                self._exec(
                    "INSERT INTO list_hints (workspace, listing, cursors, updated_at) "
                    "VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (workspace, listing) DO UPDATE SET "
                    "cursors = excluded.cursors, updated_at = excluded.updated_at",
                    (self._workspace(workspace), listing, text, now),
                )


def _cursors(text: str) -> tuple[str, ...] | None:
    try:
        cursors = json.loads(text)
    except ValueError:
        return None
    if not isinstance(cursors, list) or not all(isinstance(c, str) for c in cursors):
        return None
    return tuple(cursors)
