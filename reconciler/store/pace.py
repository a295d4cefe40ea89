"""Shared pacing budgets: per budget (the Admin API of one platform endpoint), the start times of the
requests admitted lately, so every process on the store keeps one sliding-window pace together.

A slot is taken in one write transaction (SQLite's BEGIN IMMEDIATE; PostgreSQL serialises on a
transaction-scoped advisory lock of the budget, since the row may not exist yet): read the slots, pick
the first start at which the window has room, write them back. Slots are times, not holdings: a process
that crashes holds nothing beyond one window after its last slot, and the row stays bounded (slots older
than a window are dropped; at most MAX_SLOTS). A slot further ahead than MAX_AHEAD_SECONDS can only come
from a clock far off (another host's, or a monotonic clock mistaken for epoch seconds) and is dropped,
so such a writer cannot stall everyone else; nor can a damaged row, which counts as no slots.
"""

from __future__ import annotations

import json
import logging
import math

from reconciler.errors import StateError
from reconciler.store.guard import check_text
from reconciler.store.sqlcore import SqlCore

__all__ = ["MAX_AHEAD_SECONDS", "MAX_SLOTS", "PaceTable"]

_log = logging.getLogger(__name__)

MAX_SLOTS = 10_000
# Longer than any queue of runs taking turns (ten runs of eight workers at 9 a minute wait ~9 minutes),
# short enough that a skewed clock's slot blocks nobody for long.
MAX_AHEAD_SECONDS = 900.0


class PaceTable(SqlCore):
    def take_pace_slot(self, budget: str, *, limit: int, window_seconds: float, now: float) -> float:
        check_text(budget, what="a pace budget's name")
        if not budget or budget != budget.strip():
            raise StateError(f"invalid pace budget name {budget!r}")
        if not 1 <= limit <= MAX_SLOTS:
            raise StateError(f"a pace budget admits 1 to {MAX_SLOTS} requests a window, not {limit}")
        if not (math.isfinite(window_seconds) and window_seconds > 0 and math.isfinite(now)):
            raise StateError("a pace slot needs a positive window and a finite time")
        with self.transaction():
            self._serialize(f"pace {budget}")
            rows = self._query("SELECT slots FROM pace_budgets WHERE budget = ?", (budget,))
            slots = _slots(budget, rows[0][0]) if rows else []
            live = sorted(s for s in slots if now - window_seconds < s <= now + MAX_AHEAD_SECONDS)
            start = max(now, live[-1]) if live else now  # in order, so the window test below is one look
            if len(live) >= limit:
                start = max(start, live[-limit] + window_seconds)
            live.append(start)
            self._exec(
                "INSERT INTO pace_budgets (budget, slots, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (budget) DO UPDATE SET slots = excluded.slots, updated_at = excluded.updated_at",
                (budget, json.dumps(live[-MAX_SLOTS:]), now),
            )
        return start


def _slots(budget: str, text: object) -> list[float]:
    """The slot times of a row; a row that cannot be read back (edited by hand, say) counts as none:
    the next take rewrites it, at worst admitting one window's requests too many."""
    try:
        values = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        values = None
    if isinstance(values, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    ):
        return [float(v) for v in values]
    _log.warning("ignoring the unreadable slots of pace budget %r in the state store", budget)
    return []
