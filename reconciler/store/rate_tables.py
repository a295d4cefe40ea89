"""Shared request budgets: requests per minute kept together by every process on one store (a conversation
migration's workers on several machines), as the generic cell rate algorithm (GCRA) does it.

One row per budget holds `tat`, the theoretical arrival time of the next request. Taking a slot is one
UPDATE that returns the new `tat`, so it needs no lock and no read-modify-write race: each request is
spaced `interval` seconds after the previous one, and up to `burst` seconds of requests may go at once.
In any window of W seconds at most W / interval + burst / interval + 1 requests start, which the caller
keeps under the platform's limit. A process that dies holds nothing. `delay_budget` pushes `tat` forward
(a 429's Retry-After, or the platform saying its remaining requests are spent), slowing every process.
"""

from __future__ import annotations

import math

from reconciler.errors import StateError
from reconciler.store import rows
from reconciler.store.guard import check_text
from reconciler.store.sqlcore import SqlCore

__all__ = ["RateTable"]

# A `tat` further ahead than this comes from a clock far off or a damaged row: it is reset, so one bad
# writer cannot stall every other process for long.
_MAX_AHEAD_SECONDS = 900.0  # the longest delay a Retry-After may impose
_RESET_AHEAD_SECONDS = 2 * _MAX_AHEAD_SECONDS


class RateTable(SqlCore):
    def take_rate_slot(self, budget: str, *, interval: float, burst: float, now: float) -> float:
        """Reserve the next request of `budget`; return the seconds to wait before sending it (0: now)."""
        self._check(budget, now)
        if not (math.isfinite(interval) and interval > 0 and math.isfinite(burst) and burst >= 0):
            raise StateError("a rate budget needs a positive interval and a non-negative burst")
        found = self._query(
            f"UPDATE rate_budgets SET tat = {self.dialect.greatest}(tat, ?) + ?, updated_at = ? "  # noqa: S608
            "WHERE budget = ? AND tat <= ? RETURNING tat",
            (now, interval, now, budget, now + _RESET_AHEAD_SECONDS),
        )
        if not found:
            # No row yet, or one too far ahead to be true (a clock far off): (re)start the budget at now.
            # A writer that inserted it meanwhile is queued behind, as the UPDATE above would have.
            greatest = self.dialect.greatest
            found = self._query(
                "INSERT INTO rate_budgets (budget, tat, updated_at) VALUES (?, ?, ?) "  # noqa: S608 (only ?)
                "ON CONFLICT (budget) DO UPDATE SET tat = CASE WHEN rate_budgets.tat > ? THEN excluded.tat "
                f"ELSE {greatest}(rate_budgets.tat, ?) + ? END, updated_at = excluded.updated_at "
                "RETURNING tat",
                (budget, now + interval, now, now + _RESET_AHEAD_SECONDS, now, interval),
            )
        tat = rows.number(found[0][0], "tat")
        start = tat - interval  # this request's own slot
        return max(0.0, start - burst - now)

    def delay_budget(self, budget: str, *, until: float, now: float) -> None:
        """No request of `budget` starts before `until` (epoch seconds)."""
        self._check(budget, now)
        until = min(until, now + _MAX_AHEAD_SECONDS)
        self._exec(
            "INSERT INTO rate_budgets (budget, tat, updated_at) VALUES (?, ?, ?) "  # noqa: S608 (only ?)
            f"ON CONFLICT (budget) DO UPDATE SET tat = {self.dialect.greatest}(rate_budgets.tat, ?), "
            "updated_at = excluded.updated_at",
            (budget, until, now, until),
        )

    @staticmethod
    def _check(budget: str, now: float) -> None:
        check_text(budget, what="a rate budget's name")
        if not budget or budget != budget.strip():
            raise StateError(f"invalid rate budget name {budget!r}")
        if not math.isfinite(now):
            raise StateError("a rate slot needs a finite time")
