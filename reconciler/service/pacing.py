"""The Admin API's pace shared through the state store, so parallel runs on one project (CI jobs, two
applies of different targets) take turns instead of each spending the platform's whole budget.

The platform limits an organization's admin calls however many processes make them; each run's own
pacer admitted its 9 a minute, and three at once drew 429s until their retries ran out. The budget is a
row of slot times in the store (`StateStore.take_pace_slot`), named after the platform endpoint, not
the workspace: every target on that endpoint draws on the organization's one limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler.config import TargetConfig
from reconciler.store.base import StateStore

__all__ = ["StoreSlots", "admin_budget_name"]


def admin_budget_name(target: TargetConfig) -> str:
    """The budget of the Admin API a target calls: its endpoint (scheme, host, port, path; credentials
    a URL might carry are left out), or the embedded emulator's."""
    if target.base_url is None:
        return "admin local"
    parts = urlsplit(target.base_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port is not None else ""
    return f"admin {parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


@dataclass
class StoreSlots:
    """`retry.SharedSlots` kept in the state store. `clock` is wall-clock epoch seconds (the slots are
    compared across processes and hosts, as leases are), never a monotonic clock."""

    store: StateStore
    budget: str
    clock: Callable[[], float] = time.time

    def take(self, limit: int, window_seconds: float) -> float:
        # The time is read once the store's write lock is ours: read before, it would be as old as the
        # wait for another writer (this run's journal, other runs' turns), and a slot recorded earlier
        # than its request is sent lets the next window's requests meet it at the platform.
        with self.store.transaction():
            start = self.store.take_pace_slot(
                self.budget, limit=limit, window_seconds=window_seconds, now=self.clock()
            )
        return max(0.0, start - self.clock())
